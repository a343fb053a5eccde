"""The message contract: every domain event is mapped; an unknown one is a loud error."""

from __future__ import annotations

import inspect
import json
import pkgutil
import uuid
from datetime import UTC, datetime
from importlib import import_module
from typing import Any

import pytest
from cloudevents.core.formats.json import JSONFormat
from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.persistence import JSONTranscoder, Mapper
from fastapi.testclient import TestClient

import domain
from domain.company import Company
from services.feed.contract import CONTRACT, UnmappedEventError, contract_of
from services.feed.logged import (
    LoggedEvent,
    _decode_state,
    check_mapper,
    logged_from_event,
    read_logged,
)
from services.feed.messages import Origin, _encode, to_message, to_wire
from services.feed.origins import Origins
from services.http.container import Services
from tests.support.golden import event_classes, example

# The library gives every aggregate an `Event` base and a `Created` class; casebook
# creates aggregates only through its own events (Registered, Joined).
LIBRARY_BASES = {"Event", "Created"}


def _domain_event_classes() -> set[type[Any]]:
    """Every concrete event class nested in an aggregate anywhere in domain/."""
    found: set[type[Any]] = set()
    for info in pkgutil.iter_modules(domain.__path__):
        module = import_module(f"domain.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, Aggregate) or cls.__module__ != module.__name__:
                continue
            for _, nested in inspect.getmembers(cls, inspect.isclass):
                if (
                    issubclass(nested, CanMutateAggregate)
                    and nested.__qualname__.startswith(cls.__qualname__ + ".")
                    and nested.__name__ not in LIBRARY_BASES
                ):
                    found.add(nested)
    return found


def test_every_domain_event_class_has_a_message_mapping() -> None:
    """Walking domain/: each nested event class of each aggregate is in CONTRACT."""
    classes = _domain_event_classes()
    assert len(classes) >= 20
    assert classes == set(CONTRACT)


def test_an_event_class_without_a_mapping_is_a_loud_error() -> None:
    """A new event class that nobody mapped raises UnmappedEventError naming it."""

    class Merged(Company.Event):
        TOPIC = "casebook:Company.MergedForThisTest"

    with pytest.raises(UnmappedEventError, match="Merged"):
        contract_of(Merged)


def test_types_and_subjects_are_snake_case_with_a_version() -> None:
    """ContactPersonAssigned is dk.casebook.company.contact_person_assigned.v1."""
    contract = contract_of(Company.ContactPersonAssigned)
    assert contract.type == "dk.casebook.company.contact_person_assigned.v1"
    assert {c.aggregate for c in CONTRACT.values()} == {"company", "staff", "candidate", "contract"}


def test_a_message_has_the_designed_attributes() -> None:
    """ce-id is <aggregate id>:<version>; time is business time; sequence is padded."""
    company_id, by = uuid.uuid4(), uuid.uuid4()
    logged: Any = Company.ContactLogged  # the library's dataclass signature
    event = logged(
        originator_id=company_id,
        originator_version=7,
        timestamp=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        contact_id=uuid.uuid4(),
        staff_id=by,
        unit="job_centre",
        channel="phone",
        occurred_at=datetime(2026, 2, 27, 9, 30, tzinfo=UTC),
        summary="Talked",
        topics=["x"],
    )
    msg = to_message(logged_from_event(event, 42), Origin("165", "13748136"), "casebook")
    assert msg.subject == "casebook.165.company.contact_logged"
    assert msg.attributes["id"] == f"{company_id}:7"
    assert msg.attributes["sequence"] == "00000000000000000042"
    assert msg.attributes["time"] == "2026-02-27T09:30:00+00:00"
    assert msg.attributes["recordedtime"] == "2026-03-02T08:00:00+00:00"
    assert msg.headers["Nats-Msg-Id"] == msg.attributes["id"]
    assert json.loads(msg.data)["staff_id"] == str(by)


def test_get_events_serves_the_log_as_cloudevents(client: TestClient, registered: str) -> None:
    """GET /events answers a JSON batch of structured CloudEvents in log order."""
    r = client.get("/events", params={"after": 0, "limit": 10})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/cloudevents-batch+json")
    batch = r.json()
    events = [JSONFormat().read(None, json.dumps(item)) for item in batch]
    assert [e.get_type() for e in events] == [
        "dk.casebook.staff.joined.v1",
        "dk.casebook.company.registered.v1",
    ]
    assert events[1].get_subject() == registered
    assert [int(item["sequence"]) for item in batch] == sorted(
        int(item["sequence"]) for item in batch
    )
    assert "name" not in batch[0]["data"]  # a staff member's name is not published
    assert 'rel="next"' in r.headers["link"]


def test_get_events_pages_after_a_position(client: TestClient, registered: str) -> None:
    """after=N starts after position N; limit bounds the page; past the head is empty."""
    first = client.get("/events", params={"limit": 1}).json()
    rest = client.get("/events", params={"after": int(first[0]["sequence"])}).json()
    assert [e["type"] for e in rest] == ["dk.casebook.company.registered.v1"]
    assert client.get("/events", params={"after": 10**6}).json() == []


def test_get_events_refuses_a_negative_position(client: TestClient) -> None:
    """after=-1 is a 422 problem naming the parameter."""
    r = client.get("/events", params={"after": -1})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert "after" in r.text


def _logged_after(services: Services, position: int) -> list[LoggedEvent]:
    app = services.app
    return [
        read_logged(app.mapper, n, n.id)
        for n in app.recorder.select_notifications(start=position + 1, limit=100)
    ]


def test_a_fresh_cache_reads_only_the_registration_of_a_company(
    services: Services,
    client: TestClient,
    staff: str,
    registered: str,
) -> None:
    """Shown a contact first (as after a restart), Origins reads the company's first
    event once: the CVR and municipality, and no further reads for the next contact."""
    contact = {
        "by": staff,
        "channel": "phone",
        "occurred_at": "2026-01-15T09:30:00+01:00",
        "summary": "Talked",
        "topics": [],
    }
    first = client.post(f"/companies/{registered}/contacts", json=contact).json()["position"]
    client.post(f"/companies/{registered}/contacts", json=contact)
    origins = Origins(services.app)
    found = [origins.of(e) for e in _logged_after(services, first - 1)]
    assert found == [Origin("165", registered)] * 2
    assert origins.lookups == 1


def test_a_staff_member_who_moved_and_left_belongs_to_the_new_municipality(
    services: Services,
    client: TestClient,
    staff: str,
) -> None:
    """Left carries no municipality: it is the one of the latest move before it."""
    client.post(
        f"/staff/{staff}/moves",
        json={"municipality": "101", "unit": "job_centre", "moved_on": "2026-01-02"},
    )
    left = client.post(f"/staff/{staff}/leave", json={"left_on": "2026-01-03"})
    assert left.status_code == 200, left.text
    origins = Origins(services.app)
    [event] = _logged_after(services, left.json()["position"] - 1)
    assert origins.of(event) == Origin("101", staff)
    message = to_message(event, origins.of(event))
    assert message.subject == "casebook.101.staff.left"
    assert message.attributes["time"] == "2026-01-03T00:00:00+01:00"  # Danish midnight


def test_a_mapper_the_relay_would_bypass_is_refused() -> None:
    """A custom mapper (one that seals personal data, say) stops the relay from starting,
    since its fast path reads the library's plain JSON."""

    class Sealing(Mapper[uuid.UUID]):
        pass

    with pytest.raises(ValueError, match="custom mapper"):
        check_mapper(Sealing(transcoder=JSONTranscoder()))
    check_mapper(Mapper(transcoder=JSONTranscoder()))  # the library's own passes


@pytest.mark.parametrize("cls", event_classes(), ids=lambda c: c.TOPIC)
def test_the_relays_wire_form_is_the_message_of_every_event_class(cls: type[Any]) -> None:
    """to_wire gives to_message's subject, headers and body, as ready header lines."""
    event = logged_from_event(example(cls), 42)
    origin = Origin("165", "13748136")
    message, wire = to_message(event, origin, "cb"), to_wire(event, origin, "cb")
    lines = wire.head.split("\r\n")
    assert lines[-1] == ""
    assert (wire.subject, dict(line.split(": ", 1) for line in lines[:-1]), wire.data) == (
        message.subject,
        message.headers,
        message.data,
    )
    assert len(lines) - 1 == len(message.headers)


def test_a_value_that_would_break_a_header_line_is_refused() -> None:
    """A line break in a header value stops the relay rather than corrupt the protocol."""
    event = logged_from_event(example(Company.ContactLogged), 42)
    with pytest.raises(UnmappedEventError) as caught:
        to_wire(event, Origin("165", "1374\r\n8136"), "cb")
    assert "log position 42" in str(caught.value)


def test_bodies_are_encoded_as_compact_json_with_text_as_is() -> None:
    """The body encoder gives json.dumps's compact text, non-ASCII letters unescaped."""
    value = {
        "navn": "Ærø Glarmester ApS",
        "n": 3,
        "x": 1.5,
        "ok": True,
        "none": None,
        "list": [{"a": 'b\n"c"'}, []],
        "nested": {"ø": ["å"]},
    }
    assert _encode(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def test_a_stored_state_decodes_the_same_compact_or_not() -> None:
    """States decode to the same fields whether compact (the library's) or spaced out."""
    compact = (
        '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-01-03T10:00:00+00:00"},'
        '"staff_id":{"_type_":"uuid_hex","_data_":"00000000000040008000000000000001"}}'
    )
    expected = {
        "timestamp": "2026-01-03T10:00:00+00:00",
        "staff_id": "00000000-0000-4000-8000-000000000001",
    }
    assert _decode_state(compact) == (expected, True)
    assert _decode_state((" " + compact.replace(",", ", ") + " ").encode()) == (expected, True)
    with pytest.raises(json.JSONDecodeError):
        _decode_state(compact[:-1])
