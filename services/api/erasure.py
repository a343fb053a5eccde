"""Showing erased candidates as erased, wherever a view names a candidate id."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from projections.base import Statement


def erased_among(candidates: str, items: Iterable[dict[str, Any]]) -> Statement:
    """The statement whose rows are the erased candidates among those the items name
    (`candidates`: the candidates read model's active prefix)."""
    ids = sorted({str(item["candidate_id"]) for item in items if item.get("candidate_id")})
    marks = ", ".join(["%s"] * len(ids)) or "NULL"
    return (f"SELECT candidate_id FROM {candidates}candidates "
            f"WHERE erased_on IS NOT NULL AND candidate_id IN ({marks})", tuple(ids))


def mark_erased(items: Iterable[dict[str, Any]], erased: set[str]) -> None:
    """Set `candidate_erased` on every item that names a candidate: whether it is one of
    `erased` (the rows of `erased_among`)."""
    for item in items:
        if item.get("candidate_id"):
            item["candidate_erased"] = str(item["candidate_id"]) in erased


def erased_sql(candidates: str, candidate_id: str) -> str:
    """An SQL condition: the candidate whose id is the expression `candidate_id` has been
    erased (for a read that marks `candidate_erased` itself, in its own statement);
    `candidates` is the candidates read model's active prefix."""
    return (f"EXISTS (SELECT 1 FROM {candidates}candidates k "
            f"WHERE k.candidate_id = {candidate_id} AND k.erased_on IS NOT NULL)")
