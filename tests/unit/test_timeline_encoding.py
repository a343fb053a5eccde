"""The timeline's `data` text is what the standard library's encoder wrote before orjson."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from infra.settings import Settings
from projections.base import own_fields
from projections.timeline import _encode
from services.eventstore import open_application
from services.read.decoding import LogDecoder

GOLDEN = sorted((Path(__file__).parent.parent / "golden").glob("casebook.Company.*.json"))
ORIGINATOR = uuid.UUID("00000000-0000-4000-8000-0000000000ab")


def _default(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


# The encoder the timeline used before (kept here as the reference).
_reference = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_default).encode


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_every_company_event_is_encoded_as_before(path: Path) -> None:
    """Mapper-decoded (as the workers see it) and fast-decoded (as a rebuild sees it)."""
    golden = json.loads(path.read_text())
    app = open_application(Settings(database_url="memory://", log_level="warning"))
    state = json.dumps(golden["state"]).encode()
    mapped = app.mapper.to_domain_event(StoredEvent(ORIGINATOR, 1, golden["topic"], state))
    fast = LogDecoder(app.mapper)((1, ORIGINATOR, 1, golden["topic"], state))
    cls: Any = mapped.__class__
    expected = _reference({name: getattr(mapped, name) for name in own_fields(cls)})
    for event in (mapped, fast):
        assert _encode({name: getattr(event, name) for name in own_fields(cls)}) == expected


@pytest.mark.parametrize(
    "value",
    [
        'Bøgh & Søn — «citat» "quoted" \\ back\nline\ttab\x01\u2028',
        datetime(2026, 3, 29, 1, 59, 59, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, 12, 0, 0, 5, tzinfo=UTC),
        datetime(2026, 1, 1, 12, 0),
        # An offset with seconds (a zone's local mean time, say): orjson writes it cut to
        # the minute, another instant.
        datetime(1890, 1, 1, tzinfo=timezone(timedelta(minutes=50, seconds=20))),
        [datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=5, minutes=30, seconds=15)))],
        {"at": datetime(2000, 1, 1, tzinfo=timezone(timedelta(microseconds=1)))},
        date(2026, 2, 28),
        ["a", 1, None, True, uuid.UUID(int=7)],
        -(2**63),
        2**70,
    ],
)
def test_awkward_values_are_encoded_as_before(value: Any) -> None:
    """Escapes, offsets (of seconds too), whole seconds, naive datetimes, dates, lists, large
    integers."""
    data = {"summary": value, "n": 0}
    assert _encode(data) == _reference(data)
