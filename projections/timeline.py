"""The timeline: every event of a company, in log order, with who and when."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from projections.base import Projection, Sql, as_json, event_kind, fields_of, plain

# The business date of each kind of event, where it has one besides recording time.
BUSINESS_TIME = ("occurred_at", "starts_on", "effective_on", "ends_on", "held_on",
                 "answered_on", "reviewed_on")


class TimelineProjection(Projection):
    """Appends one row per company event; staff names are joined when read."""

    name = "timeline"
    tables = (
        "CREATE TABLE IF NOT EXISTS {t}entries (position BIGINT PRIMARY KEY, "
        "company_id TEXT NOT NULL, version INTEGER NOT NULL, kind TEXT NOT NULL, "
        "actor_id TEXT, occurred_at TEXT NOT NULL, recorded_at TEXT NOT NULL, "
        "data TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {t}entries_company ON {t}entries (company_id, position)",
    )
    handlers = {}

    def process(self, event: Any, position: int, sql: Sql) -> None:
        """Record every company event (staff events belong to the directory)."""
        kind = event_kind(event)
        if not kind.startswith("company."):
            return
        data = fields_of(event)
        actor = data.get("by") or data.get("staff_id")
        raw = next((getattr(event, f) for f in BUSINESS_TIME if hasattr(event, f)), None)
        # Datetimes in UTC, so that text order is time order whatever the client's offset.
        when = plain(raw.astimezone(UTC) if isinstance(raw, datetime) else raw)
        recorded = plain(event.timestamp.astimezone(UTC))
        sql.execute(
            f"INSERT INTO {self.t('entries')} (position, company_id, version, kind, actor_id, "
            "occurred_at, recorded_at, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (position, str(event.originator_id), event.originator_version,
             kind.removeprefix("company."), actor, when or recorded, recorded,
             as_json(data)),
        )
