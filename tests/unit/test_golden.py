"""The stored form of every event is a contract: compare it with tests/golden/.

Set CASEBOOK_UPDATE_GOLDEN=1 to write the files after a deliberate change (and
add an upcaster for any changed event: see the README).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from infra.settings import Settings
from services.eventstore import open_application
from tests.support.golden import event_classes, example

GOLDEN = Path(__file__).parent.parent / "golden"


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
