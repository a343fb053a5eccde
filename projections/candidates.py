"""Candidates: which exist, in which municipality, and which have been erased.

Only ids, municipality and dates: personal data never reaches a read model. Views
that show a candidate id look here to show the candidate as erased.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from projections.base import Projection, Sql, Statement, collect_handlers, on, plain


@collect_handlers
class CandidatesProjection(Projection):
    """Every candidate's municipality and erasure date."""

    name = "candidates"
    tables = (
        "CREATE TABLE IF NOT EXISTS {t}candidates (candidate_id TEXT PRIMARY KEY, "
        "municipality TEXT NOT NULL, registered_at TEXT NOT NULL, erased_on TEXT)",
    )

    @on("candidate.registered")
    def registered(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"INSERT INTO {self.t('candidates')} (candidate_id, municipality, registered_at) "
            "VALUES (%s, %s, %s)",
            (str(e.originator_id), e.municipality, plain(e.timestamp)),
        )

    @on("candidate.erased")
    def erased(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"UPDATE {self.t('candidates')} SET erased_on = %s WHERE candidate_id = %s",
            (plain(e.erased_on), str(e.originator_id)),
        )


def erased_among(candidates: str, items: Iterable[dict[str, Any]]) -> Statement:
    """The statement whose rows are the erased candidates among those the items name
    (`candidates`: this read model's active prefix)."""
    ids = sorted({str(item["candidate_id"]) for item in items if item.get("candidate_id")})
    marks = ", ".join(["%s"] * len(ids)) or "NULL"
    return (
        f"SELECT candidate_id FROM {candidates}candidates "
        f"WHERE erased_on IS NOT NULL AND candidate_id IN ({marks})",
        tuple(ids),
    )


def mark_erased(items: Iterable[dict[str, Any]], erased: set[str]) -> None:
    """Set `candidate_erased` on every item that names a candidate: whether it is one of
    `erased` (the rows of `erased_among`)."""
    for item in items:
        if item.get("candidate_id"):
            item["candidate_erased"] = str(item["candidate_id"]) in erased


def erased_sql(candidates: str, candidate_id: str) -> str:
    """An SQL condition: the candidate whose id is the expression `candidate_id` has been
    erased (for a read that marks `candidate_erased` itself, in its own statement);
    `candidates` is this read model's active prefix."""
    return (
        f"EXISTS (SELECT 1 FROM {candidates}candidates k "
        f"WHERE k.candidate_id = {candidate_id} AND k.erased_on IS NOT NULL)"
    )
