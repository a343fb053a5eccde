"""Snapshots of company histories, so that GET /companies/{cvr}/state folds only the
events after the nearest one.

A snapshot is the `CompanyHistory` of a company's first N events (N a multiple of
`every`), keyed by that version and the recording time of event N. It answers for
any business date, so one snapshot serves every `as_of`; it serves every
`known_at` at or after its recording time. Events are never altered, so a
snapshot never goes stale: the first fold over a stretch of history writes the
snapshots it passes, and later reads start from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import structlog

from projections.state import CompanyHistory
from services.eventstore import CasebookApplication
from services.read.db import SNAPSHOTS, ProjectionDb

log = structlog.get_logger(__name__)
FORMAT = 1  # bump when CompanyHistory's stored form changes; older rows are then ignored
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(moment: datetime) -> int:
    """Microseconds since the epoch, exactly (recording times compare as integers)."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


class StateSnapshots:
    """Company histories folded from the nearest snapshot on; writes the ones it passes."""

    def __init__(self, app: CasebookApplication, views: ProjectionDb, every: int) -> None:
        self.app = app
        self.views = views
        self.every = every  # 0: no snapshots, every read folds the whole stream

    def history(self, stream: UUID, known_at: datetime) -> CompanyHistory:
        """The history of the company's events recorded by `known_at`."""
        history = CompanyHistory()
        if self.every:
            rows = self.views.query(
                f"SELECT data FROM {SNAPSHOTS} WHERE company_id = %s AND format = %s "
                "AND recorded_us <= %s ORDER BY version DESC LIMIT 1",
                (str(stream), FORMAT, micros(known_at)),
            )
            if rows:
                history = CompanyHistory.from_json(rows[0][0])
        passed: list[tuple[str, int, int, int, str]] = []
        events: Iterable[Any] = self.app.events.get(stream, gt=history.version or None)
        for e in events:
            if e.timestamp > known_at:
                break
            history.apply(e)
            if self.every and history.version % self.every == 0:
                passed.append(
                    (str(stream), FORMAT, history.version, micros(e.timestamp), history.to_json())
                )
        if passed:
            self._save(passed)
        return history

    def _save(self, rows: list[tuple[str, int, int, int, str]]) -> None:
        try:
            with self.views.transaction() as sql:
                sql.executemany(
                    f"INSERT INTO {SNAPSHOTS} (company_id, format, version, recorded_us, data) "
                    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    rows,
                )
        except Exception as e:  # a snapshot only saves time: the answer stands without it
            log.warning("state_snapshot_failed", reason=str(e))
