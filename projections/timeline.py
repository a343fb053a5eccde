"""The timeline: every event of a company, in log order, with who and when, and the
statements that read it."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import orjson

from projections.base import (
    Projection,
    Sql,
    Statement,
    business_text,
    event_kind,
    own_fields,
    utc_text,
)

# The business date of each kind of event, where it has one besides recording time.
BUSINESS_TIME = (
    "occurred_at",
    "starts_on",
    "effective_on",
    "ends_on",
    "held_on",
    "answered_on",
    "reviewed_on",
    "joined_on",
    "left_on",
)


def _json_default(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_MINUTE = timedelta(minutes=1)
_encode_slowly = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), default=_json_default
).encode


def _encode(data: dict[str, Any]) -> str:
    """Compact JSON of an event's own fields: ids as their text, datetimes and dates in
    ISO 8601, non-ASCII as it is. orjson writes it as the standard library's encoder does
    (tests/unit/test_timeline_encoding.py), several times faster; what it refuses (an
    integer beyond 64 bits) or writes otherwise (an offset with seconds) the standard
    library writes."""
    if not _offsets_in_minutes(data.values()):
        return _encode_slowly(data)
    try:
        return orjson.dumps(data).decode()
    except orjson.JSONEncodeError:
        return _encode_slowly(data)


def _offsets_in_minutes(values: Iterable[Any]) -> bool:
    """Whether every datetime among `values` (and in their lists and objects) has a UTC
    offset of whole minutes: orjson writes an offset cut to the minute, `isoformat` with
    its seconds."""
    for value in values:
        cls = value.__class__
        if cls is list and not _offsets_in_minutes(value):
            return False
        if cls is dict and not _offsets_in_minutes(value.values()):
            return False
        if (
            cls is datetime
            and value.tzinfo is not None
            and value.tzinfo is not UTC
            and value.utcoffset() % _MINUTE
        ):
            return False
    return True


@functools.cache
def _shape(cls: type) -> tuple[str, tuple[str, ...], str | None]:
    """Per event class: its timeline kind, its own fields, its business-time field."""
    names = own_fields(cls)
    return (
        event_kind(cls).removeprefix("company."),
        names,
        next((f for f in BUSINESS_TIME if f in names), None),
    )


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

    def __init__(self, prefix: str) -> None:
        super().__init__(prefix)
        self._insert = (
            f"INSERT INTO {self.t('entries')} (position, company_id, version, "
            "kind, actor_id, occurred_at, recorded_at, data) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s)"
        )

    def wants(self, cls: type) -> bool:
        """Every company event."""
        return str(getattr(cls, "TOPIC", "")).startswith("casebook:Company.")

    def handler_for(self, cls: type) -> Callable[[Any, int, Sql], None] | None:
        return self._record if self.wants(cls) else None

    def process(self, event: Any, position: int, sql: Sql) -> None:
        """Record every company event (staff events belong to the directory)."""
        if self.wants(type(event)):
            self._record(event, position, sql)

    def _record(self, event: Any, position: int, sql: Sql) -> None:
        """Record a company event."""
        kind, names, business = _shape(event.__class__)
        values = event.__dict__
        try:
            data = {name: values[name] for name in names}
        except KeyError:  # a field the stored event lacks: its default
            data = {
                name: values[name] if name in values else getattr(event, name) for name in names
            }
        actor = data.get("by") or data.get("staff_id")
        raw = data[business] if business else None
        recorded = utc_text(event.timestamp)
        when = recorded if raw is None else business_text(raw)
        sql.execute(
            self._insert,
            (
                position,
                str(event.originator_id),
                event.originator_version,
                kind,
                None if actor is None else str(actor),
                when,
                recorded,
                _encode(data),
            ),
        )


def page(
    t: str,
    d: str,
    company_id: str,
    *,
    kind: str | None,
    actor: str | None,
    since: str | None,
    before: str | None,
    cursor: int | None,
    limit: int,
) -> Statement:
    """The company's entries, newest first, at most `limit`: of one kind, by one actor,
    dated from `since` and before `before` (UTC ISO text), logged before position
    `cursor` (each filter if given). Columns: position, version, kind, occurred_at,
    recorded_at, the actor's id, name and departure date (the directory's, `d`), data,
    the actor's unit (the directory's)."""
    where: list[str] = ["e.company_id = %s"]
    params: list[Any] = [company_id]
    for clause, value in (
        ("e.kind = %s", kind),
        ("e.actor_id = %s", actor),
        ("e.occurred_at >= %s", since),
        ("e.occurred_at < %s", before),
        ("e.position < %s", cursor),
    ):
        if value is not None:
            where.append(clause)
            params.append(value)
    return (
        f"SELECT e.position, e.version, e.kind, e.occurred_at, e.recorded_at, "
        f"e.actor_id, s.name, s.left_on, e.data, s.unit FROM {t}entries e LEFT JOIN "
        f"{d}staff s ON s.staff_id = e.actor_id WHERE {' AND '.join(where)} "
        f"ORDER BY e.position DESC LIMIT %s",
        (*params, limit),
    )


def contacts_as_logged(t: str, company_id: str, contact_ids: Sequence[str]) -> Statement:
    """The data of the company's contacts with these ids as first logged (what their
    corrections replace)."""
    patterns = [f'%"contact_id":"{contact}"%' for contact in contact_ids]
    return (
        f"SELECT data FROM {t}entries WHERE company_id = %s "
        f"AND kind = 'contact_logged' AND "
        f"({' OR '.join(['data LIKE %s'] * len(patterns)) or 'FALSE'})",
        (company_id, *patterns),
    )
