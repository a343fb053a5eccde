"""The rebuild's cheap decoding gives the mapper's events, with ids, datetimes and dates as
their text."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import DatetimeAsISO, StoredEvent
from hypothesis import given
from hypothesis import strategies as st

from infra.settings import Settings
from projections.base import business_text, plain, utc_text
from services.eventstore import open_application
from services.read.decoding import LogDecoder

GOLDEN = sorted((Path(__file__).parent.parent / "golden").glob("*.json"))
ORIGINATOR = uuid.UUID("00000000-0000-4000-8000-0000000000ab")


def _as_text(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value) if isinstance(value, uuid.UUID) else value


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.stem)
def test_each_stored_event_decodes_as_the_mapper_decodes_it(path: Path) -> None:
    """Every field of every golden event equals the mapper's value (ids, datetimes and dates
    as their text)."""
    golden = json.loads(path.read_text())
    app = open_application(Settings(database_url="memory://", log_level="warning"))
    state = app.mapper.transcoder.encode(
        app.mapper.transcoder.decode(json.dumps(golden["state"]).encode())
    )
    row = (1, ORIGINATOR, 3, golden["topic"], state)
    expected = app.mapper.to_domain_event(StoredEvent(ORIGINATOR, 3, golden["topic"], state))
    decoded = LogDecoder(app.mapper)(row)
    assert type(decoded) is type(expected)
    assert {k: _as_text(v) for k, v in decoded.__dict__.items()} == {
        k: _as_text(v) for k, v in expected.__dict__.items()
    }
    assert set(map(type, decoded.__dict__.values())) <= set(
        map(type, expected.__dict__.values())
    ) | {str}


def test_a_value_it_does_not_know_goes_through_the_mapper() -> None:
    """A state with a nested object is left to the mapper (so it is decoded exactly)."""
    app = open_application(Settings(database_url="memory://", log_level="warning"))
    golden = json.loads((GOLDEN[0].parent / "casebook.OutcomeContract.Agreed.json").read_text())
    state = json.dumps(golden["state"]).encode()
    decoded = LogDecoder(app.mapper)((1, ORIGINATOR, 1, golden["topic"], state))
    assert isinstance(decoded.originator_id, uuid.UUID)


def test_a_state_beyond_orjson_goes_through_the_mapper() -> None:
    """orjson reads an integer beyond 64 bits as a float; such a state is decoded by the
    mapper, exactly."""
    app = open_application(Settings(database_url="memory://", log_level="warning"))
    golden = json.loads((GOLDEN[0].parent / "casebook.Company.OpeningRegistered.json").read_text())
    golden["state"]["hours_per_week"] = 2**70 + 1
    state = json.dumps(golden["state"]).encode()
    decoded = LogDecoder(app.mapper)((1, ORIGINATOR, 1, golden["topic"], state))
    assert decoded.hours_per_week == 2**70 + 1
    assert isinstance(decoded.originator_id, uuid.UUID)  # the mapper's, not the fast path


@given(
    st.datetimes(
        timezones=st.one_of(
            st.just(UTC),
            st.timezones(),
            st.builds(
                timezone,
                st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23)),
            ),
        )
    )
)
def test_read_models_write_a_datetime_and_its_text_alike(moment: datetime) -> None:
    """A rebuild hands the read models a datetime's stored ISO text, the workers the
    datetime the library decodes from that text: `utc_text` and `business_text` write
    the same for both (any offset, seconds and microseconds too). (Not always the
    datetime that was stored: Python reads an offset under a second, +00:00:00.000001,
    as none.)"""
    stored = DatetimeAsISO().encode(moment)
    decoded = DatetimeAsISO().decode(stored)
    assert utc_text(stored) == utc_text(decoded)
    assert business_text(stored) == business_text(decoded)


@given(st.dates())
def test_read_models_write_a_date_and_its_text_alike(day: date) -> None:
    assert business_text(day.isoformat()) == business_text(day) == day.isoformat()
    assert plain(day.isoformat()) == plain(day)
