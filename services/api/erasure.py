"""Showing erased candidates as erased, wherever a view names a candidate id."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from projections.base import Sql
from services.api.context import Services
from services.views import prefix_of


def mark_erased(services: Services, items: Iterable[dict[str, Any]], *,
                sql: Sql | None = None, prefix: str | None = None) -> None:
    """Set `candidate_erased` on every item that names a candidate (True once erased).

    Inside a read's own transaction, pass its `sql` and the candidates view's `prefix`
    (one statement, no transaction of its own)."""
    named = [item for item in items if item.get("candidate_id")]
    if not named:
        return
    if prefix is None:
        active = services.views.active_generation("candidates")
        prefix = None if active is None else prefix_of("candidates", active[0])
    erased: set[str] = set()
    if prefix is not None:
        ids = sorted({str(item["candidate_id"]) for item in named})
        marks = ", ".join(["%s"] * len(ids))
        statement = (f"SELECT candidate_id FROM {prefix}candidates "
                     f"WHERE erased_on IS NOT NULL AND candidate_id IN ({marks})")
        if sql is None:
            rows = services.views.query(statement, ids)
        else:
            sql.execute(statement, ids)
            rows = sql.fetchall()
        erased = {row[0] for row in rows}
    for item in named:
        item["candidate_erased"] = str(item["candidate_id"]) in erased
