"""Candidates: which exist, in which municipality, and which have been erased.

Only ids, municipality and dates: personal data never reaches a read model. Views
that show a candidate id look here to show the candidate as erased.
"""

from __future__ import annotations

from typing import Any

from projections.base import Projection, Sql, collect_handlers, on, plain


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
            "VALUES (%s, %s, %s)", (str(e.originator_id), e.municipality, plain(e.timestamp)))

    @on("candidate.erased")
    def erased(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(f"UPDATE {self.t('candidates')} SET erased_on = %s WHERE candidate_id = %s",
                    (plain(e.erased_on), str(e.originator_id)))
