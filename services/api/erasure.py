"""Showing erased candidates as erased, wherever a view names a candidate id."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.api.context import Services
from services.views import prefix_of


def mark_erased(services: Services, items: Iterable[dict[str, Any]]) -> None:
    """Set `candidate_erased` on every item that names a candidate (True once erased)."""
    named = [item for item in items if item.get("candidate_id")]
    if not named:
        return
    active = services.views.active_generation("candidates")
    erased: set[str] = set()
    if active is not None:
        ids = sorted({str(item["candidate_id"]) for item in named})
        marks = ", ".join(["%s"] * len(ids))
        erased = {row[0] for row in services.views.query(
            f"SELECT candidate_id FROM {prefix_of('candidates', active[0])}candidates "
            f"WHERE erased_on IS NOT NULL AND candidate_id IN ({marks})", ids)}
    for item in named:
        item["candidate_erased"] = str(item["candidate_id"]) in erased


def erased_sql(candidates: str, candidate_id: str) -> str:
    """An SQL condition: the candidate whose id is the expression `candidate_id` has been
    erased (for a read that marks `candidate_erased` itself, in its own statement);
    `candidates` is the candidates read model's active prefix."""
    return (f"EXISTS (SELECT 1 FROM {candidates}candidates k "
            f"WHERE k.candidate_id = {candidate_id} AND k.erased_on IS NOT NULL)")
