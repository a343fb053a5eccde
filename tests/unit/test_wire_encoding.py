"""The relay's fast path (orjson) publishes exactly the bytes of the `json` path."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from domain.company import Company
from infra.jetstream import Outgoing
from infra.settings import Settings
from services.eventstore import CasebookApplication, open_application
from services.feed.logged import logged_from_event, read_parts
from services.feed.messages import Origin, to_wire
from tests.support.golden import event_classes, example

ORIGIN = Origin("165", "13748136")
# Text that orjson and `json` could write differently: non-ASCII, escapes, controls.
AWKWARD = 'Ærø "Glas" \\ ApS\nlinje\ttab \x00\x1f\x7f \u2028\u2029 😀 </script> \ufeff'


@pytest.fixture(scope="module")
def app() -> CasebookApplication:
    """An application on the in-memory store (for its mapper)."""
    return open_application(Settings(database_url="memory://", log_level="warning"))


def _both(app: CasebookApplication, stored: StoredEvent) -> tuple[Outgoing, Outgoing, bool]:
    """The relay's message of `stored`, the `json` path's message of the same event
    (through the library's mapper), and whether the relay took its fast path."""
    fast = read_parts(
        app.mapper, stored.originator_id, stored.originator_version, stored.topic, stored.state, 42
    )
    reference = logged_from_event(app.mapper.to_domain_event(stored), 42)
    return to_wire(fast, ORIGIN, "cb"), to_wire(reference, ORIGIN, "cb"), fast.exact


def _wire(message: Outgoing) -> tuple[str, str, bytes, int]:
    return message.subject, message.head, message.data, message.position


def _nested(value: Any) -> bool:
    return isinstance(value, dict) or (
        isinstance(value, list) and any(isinstance(v, dict | list) for v in value)
    )


@pytest.mark.parametrize("cls", event_classes(), ids=lambda c: c.TOPIC)
def test_every_event_class_is_published_as_the_json_path_publishes_it(
    app: CasebookApplication, cls: type[Any]
) -> None:
    """Subject, header lines and body bytes equal the `json` path's; only a state with
    a nested object (contract rules, invoice lines) leaves the fast path."""
    event = example(cls)
    fast, reference, exact = _both(app, app.mapper.to_stored_event(event))
    assert _wire(fast) == _wire(reference)
    assert exact == (not any(_nested(v) for v in event.__dict__.values()))


def test_awkward_text_is_published_as_json_writes_it(app: CasebookApplication) -> None:
    """Non-ASCII letters, quotes, backslashes and control characters in a summary and
    its topics give the `json` path's bytes from the fast path."""
    event = example(Company.ContactLogged)
    vars(event).update(summary=AWKWARD, topics=[AWKWARD, "ø"])
    fast, reference, exact = _both(app, app.mapper.to_stored_event(event))
    assert exact
    assert _wire(fast) == _wire(reference)
    assert json.loads(fast.data)["summary"] == AWKWARD


@pytest.mark.parametrize(
    ("stored", "written"),
    [
        ("1e-07", "1e-07"),  # orjson writes 1e-7
        (str(2**70), str(2**70)),  # orjson reads a float, 1.1805916207174113e+21
        ("[1.5,2]", "[1.5,2]"),
        ('{"a":1}', '{"a":1}'),
    ],
)
def test_a_value_orjson_would_alter_goes_through_json(
    app: CasebookApplication, stored: str, written: str
) -> None:
    """A float, an integer beyond 64 bits or a nested object in a stored state leaves
    the fast path, and the body carries it as `json` writes it."""
    good = app.mapper.to_stored_event(example(Company.ContactLogged))
    state = json.loads(good.state)
    state["summary"] = "@"
    text = json.dumps(state, separators=(",", ":")).replace('"@"', stored)
    event = read_parts(
        app.mapper, good.originator_id, good.originator_version, good.topic, text.encode(), 42
    )
    assert not event.exact
    assert f'"summary":{written},'.encode() in to_wire(event, ORIGIN, "cb").data
