"""The stored form of every event is a contract: compare it with tests/golden/.

Set CASEBOOK_UPDATE_GOLDEN=1 to write the files after a deliberate change (and
add an upcaster for any changed event: see the README).
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import types
import typing
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.domain import CanMutateAggregate

from domain.candidate import Candidate
from domain.company import Company
from domain.contract import OutcomeContract
from domain.staff import StaffMember
from infra.settings import Settings
from services.eventstore import open_application

GOLDEN = Path(__file__).parent.parent / "golden"
FIXED_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
CANNED: dict[Any, Any] = {
    uuid.UUID: uuid.UUID("00000000-0000-4000-8000-000000000002"),
    str: "text", int: 7, bool: True, date: date(2026, 1, 2),
    datetime: datetime(2026, 1, 2, 9, 30, tzinfo=UTC), list[str]: ["a", "b"],
    dict[str, Any]: {"effective_from": "2026-01-01", "paying_kinds": ["ordinary"],
                     "milestones": [{"name": "start", "weeks": 0, "price_ore": 100}]},
    list[dict[str, Any]]: [{"key": "k", "amount_ore": 100}],
}
BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}


def event_classes() -> list[type[Any]]:
    """Every event class of every aggregate, but the abstract base `Event`."""
    found = []
    for aggregate in (Company, StaffMember, OutcomeContract, Candidate):
        for name, value in vars(aggregate).items():
            if isinstance(value, type) and issubclass(value, CanMutateAggregate) \
                    and name not in ("Event", "Created"):
                found.append(value)
    return found


def canned(annotation: Any) -> Any:
    """A fixed example value of a field's type (the non-None side of an Optional)."""
    if isinstance(annotation, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    return CANNED[annotation]


def example(cls: type[Any]) -> Any:
    """One event of this class with canned values in every field."""
    namespace = vars(sys.modules[cls.__module__])
    names = {f.name: f.type for f in dataclasses.fields(cls)}
    fields = {k: canned(eval(v, namespace) if isinstance(v, str) else v)
              for k, v in names.items() if k not in BASE_FIELDS}
    base: dict[str, Any] = {"originator_id": FIXED_ID, "originator_version": 3,
                            "timestamp": datetime(2026, 1, 3, 10, 0, tzinfo=UTC)}
    if "originator_topic" in names:
        base["originator_topic"] = "casebook:test"
    return cls(**base, **fields)


@pytest.mark.parametrize("cls", event_classes(), ids=lambda c: c.TOPIC)
def test_stored_form_matches_golden_file(cls: type[Any]) -> None:
    """The event's topic and JSON state are exactly as pinned."""
    app = open_application(Settings(database_url="memory://"))
    stored = app.mapper.to_stored_event(example(cls))
    actual = {"topic": stored.topic, "state": json.loads(stored.state)}
    path = GOLDEN / f"{cls.TOPIC.replace(':', '.')}.json"
    if os.environ.get("CASEBOOK_UPDATE_GOLDEN") == "1":
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert path.exists(), f"no golden file for {cls.TOPIC}: run with CASEBOOK_UPDATE_GOLDEN=1"
    assert actual == json.loads(path.read_text())


def test_every_golden_file_has_an_event_class() -> None:
    """A golden file without its class means an event was removed or renamed."""
    topics = {f"{c.TOPIC.replace(':', '.')}.json" for c in event_classes()}
    assert {p.name for p in GOLDEN.glob("*.json")} == topics


def test_stored_events_decode_to_equal_events() -> None:
    """Every example survives a round trip through the store's mapper."""
    app = open_application(Settings(database_url="memory://"))
    for cls in event_classes():
        event = example(cls)
        assert app.mapper.to_domain_event(app.mapper.to_stored_event(event)) == event
