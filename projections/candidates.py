"""Candidates: which exist, in which municipality, which have been erased, and which
staff member works with which (registered, referred or placed them).

Only ids, municipality and dates: personal data never reaches a read model. Views
that show a candidate id look here to show the candidate as erased; a search by name
looks among a staff member's own candidates (`work`), whose names it opens itself.
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
        # One row per staff member, candidate and the aggregate whose event tied them
        # (the candidate's own stream or a company's): each row is written by the events
        # of one aggregate only, as a split rebuild needs.
        "CREATE TABLE IF NOT EXISTS {t}work (staff_id TEXT NOT NULL, candidate_id TEXT "
        "NOT NULL, source_id TEXT NOT NULL, since TEXT NOT NULL, "
        "PRIMARY KEY (staff_id, candidate_id, source_id))",
    )

    @on("candidate.registered")
    def registered(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"INSERT INTO {self.t('candidates')} (candidate_id, municipality, registered_at) "
            "VALUES (%s, %s, %s)",
            (str(e.originator_id), e.municipality, plain(e.timestamp)),
        )
        self._worked(sql, e.by, e.originator_id, e.originator_id, e.timestamp)

    @on("company.candidate_referred", "company.placement_started")
    def referred_or_placed(self, e: Any, position: int, sql: Sql) -> None:
        self._worked(sql, e.by, e.candidate_id, e.originator_id, e.timestamp)

    def _worked(self, sql: Sql, by: Any, candidate_id: Any, source_id: Any, at: Any) -> None:
        sql.execute(
            f"INSERT INTO {self.t('work')} (staff_id, candidate_id, source_id, since) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (str(by), str(candidate_id), str(source_id), plain(at)),
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


WORK_LIMIT = 500  # a staff member's candidates a search by name opens at most


def worked_with(candidates: str, staff_id: str, municipalities: Iterable[str]) -> Statement:
    """The statement whose rows are (candidate_id, municipality) of the candidates, not
    erased, of these municipalities that the staff member registered, referred or
    placed, the most recent first (`candidates`: this read model's active prefix)."""
    codes = sorted(set(municipalities))
    marks = ", ".join(["%s"] * len(codes)) or "NULL"
    return (
        f"SELECT w.candidate_id, k.municipality, MAX(w.since) AS latest "
        f"FROM {candidates}work w JOIN {candidates}candidates k "
        "ON k.candidate_id = w.candidate_id "
        f"WHERE w.staff_id = %s AND k.erased_on IS NULL AND k.municipality IN ({marks}) "
        f"GROUP BY w.candidate_id, k.municipality ORDER BY latest DESC, w.candidate_id "
        f"LIMIT {WORK_LIMIT}",
        (staff_id, *codes),
    )
