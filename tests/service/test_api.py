"""The command API: answers, errors as problem+json, idempotency and If-Match.

These cases run on the in-memory store here; marked `stores`, `make integration` runs
them again on SQLite and PostgreSQL (`--stores sqlite,postgres`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient

from domain.values import company_id
from services.http.container import Services
from tests.support.api import CVR, assert_problem, contact
from tests.support.services import new_candidate

pytestmark = pytest.mark.stores  # rerun on SQLite and PostgreSQL by `make integration`

NOW = datetime.now(UTC).replace(microsecond=0)


def events_of(services: Services, cvr: str = CVR) -> list[Any]:
    return list(services.app.events.get(company_id(cvr)))


def test_register_answers_version_and_position(client: TestClient, staff: str) -> None:
    """Registering answers 201 with version 1, the log position and the normalised CVR."""
    r = client.post(
        "/companies",
        json={"cvr": "13-74-81-36", "name": "Glans ApS", "municipality": "165", "by": staff},
    )
    assert r.status_code == 201
    assert r.json() == {"version": 1, "position": 2, "cvr": CVR, "id": None}
    assert r.headers["etag"] == '"1"'


def test_log_contact_appends_one_event(
    client: TestClient, staff: str, registered: str, services: Services
) -> None:
    """A logged contact is one ContactLogged event with the answer's version and id."""
    r = client.post(f"/companies/{registered}/contacts", json=contact(staff))
    assert r.status_code == 201
    body = r.json()
    assert body["version"] == 2
    last = events_of(services)[-1]
    assert type(last).__name__ == "ContactLogged"
    assert str(last.contact_id) == body["id"]
    assert last.staff_id == uuid.UUID(staff)


def test_a_malformed_cvr_is_422(client: TestClient, staff: str) -> None:
    """A CVR failing the check is refused with a detail naming the check."""
    r = client.post(
        "/companies", json={"cvr": "24256791", "name": "X", "municipality": "165", "by": staff}
    )
    assert_problem(r, 422, "modulus-11")


def test_an_unknown_company_is_404(client: TestClient, staff: str) -> None:
    """Work logged against an unregistered CVR is not found."""
    assert_problem(
        client.post("/companies/24256790/contacts", json=contact(staff)),
        404,
        "no company with CVR 24256790",
    )


def test_an_unknown_municipality_is_422(client: TestClient, staff: str) -> None:
    """Municipality codes are checked against the 98 municipalities."""
    r = client.post(
        "/companies", json={"cvr": CVR, "name": "X", "municipality": "999", "by": staff}
    )
    assert_problem(r, 422, "999")


def test_a_contact_time_that_has_no_utc_time_is_422(
    client: TestClient, staff: str, registered: str, services: Services
) -> None:
    """A contact logged or corrected at a time before the first UTC time (the first hour
    of year 1, east of Greenwich) is refused, and nothing is written: the read models
    keep times in UTC, and would stop at such an event."""
    logged = client.post(f"/companies/{registered}/contacts", json=contact(staff)).json()
    before = len(events_of(services))
    early = "0001-01-01T00:30:00+01:00"
    assert_problem(
        client.post(f"/companies/{registered}/contacts", json=contact(staff, occurred_at=early)),
        422,
        early,
    )
    assert_problem(
        client.post(
            f"/companies/{registered}/contacts/{logged['id']}/corrections",
            json=contact(staff, occurred_at=early, reason="time"),
        ),
        422,
        early,
    )
    assert len(events_of(services)) == before


def test_wrong_types_and_missing_fields_are_422_per_field(
    client: TestClient, staff: str, registered: str
) -> None:
    """Validation errors list each field with a message."""
    r = client.post(
        f"/companies/{registered}/contacts",
        json={"by": staff, "channel": "pigeon", "occurred_at": "yesterday"},
    )
    assert_problem(r, 422, "channel")
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"channel", "occurred_at", "summary"} <= fields


def test_unknown_fields_are_refused(client: TestClient, staff: str, registered: str) -> None:
    """A misspelt field is an error, never silently dropped."""
    r = client.post(f"/companies/{registered}/contacts", json=contact(staff, sumary="x"))
    assert_problem(r, 422, "sumary")


def test_oversized_text_is_422_and_oversized_body_413(
    client: TestClient, staff: str, registered: str
) -> None:
    """Text fields are bounded, and so is the request body."""
    assert_problem(
        client.post(f"/companies/{registered}/contacts", json=contact(staff, summary="x" * 5000)),
        422,
        "summary",
    )
    r = client.post(f"/companies/{registered}/contacts", json=contact(staff, summary="x" * 70_000))
    assert_problem(r, 413, "exceeds")


def test_a_broken_rule_is_409_and_writes_nothing(
    client: TestClient, staff: str, registered: str, services: Services
) -> None:
    """Referring to a closed opening conflicts with the history; no event is written."""
    opening = client.post(
        f"/companies/{registered}/openings",
        json={
            "title": "Helper",
            "hours_per_week": 20,
            "placement_kinds": ["ordinary"],
            "by": staff,
        },
    ).json()["id"]
    client.post(f"/companies/{registered}/openings/{opening}/close", json={"by": staff})
    before = len(events_of(services))
    r = client.post(
        f"/companies/{registered}/referrals",
        json={
            "opening_id": opening,
            "candidate_id": new_candidate(client, registered, staff),
            "by": staff,
        },
    )
    assert_problem(r, 409, "closed")
    assert len(events_of(services)) == before


def test_an_unknown_opening_is_404(client: TestClient, staff: str, registered: str) -> None:
    """A referral to an opening that does not exist names the opening."""
    opening = str(uuid.uuid4())
    r = client.post(
        f"/companies/{registered}/referrals",
        json={
            "opening_id": opening,
            "candidate_id": new_candidate(client, registered, staff),
            "by": staff,
        },
    )
    assert_problem(r, 404, opening)


def test_a_contact_in_the_future_is_422(client: TestClient, staff: str, registered: str) -> None:
    """Work cannot be logged ahead of time."""
    later = (NOW + timedelta(days=1)).isoformat()
    assert_problem(
        client.post(f"/companies/{registered}/contacts", json=contact(staff, occurred_at=later)),
        422,
        "future",
    )


def test_staff_who_left_cannot_log_work(client: TestClient, staff: str, registered: str) -> None:
    """After POST /staff/{id}/leave, their commands conflict."""
    r = client.post(f"/staff/{staff}/leave", json={"left_on": NOW.date().isoformat()})
    assert r.status_code == 200
    assert_problem(
        client.post(f"/companies/{registered}/contacts", json=contact(staff)), 409, "has left"
    )


def test_a_retried_command_is_applied_once(
    client: TestClient, staff: str, registered: str, services: Services
) -> None:
    """The same Idempotency-Key and body answer the first result and write nothing new."""
    headers = {"Idempotency-Key": "retry-1"}
    first = client.post(f"/companies/{registered}/contacts", json=contact(staff), headers=headers)
    again = client.post(f"/companies/{registered}/contacts", json=contact(staff), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(events_of(services)) == 2


def test_a_reused_key_with_another_body_is_422(
    client: TestClient, staff: str, registered: str
) -> None:
    """An Idempotency-Key belongs to one request."""
    headers = {"Idempotency-Key": "retry-2"}
    client.post(f"/companies/{registered}/contacts", json=contact(staff), headers=headers)
    r = client.post(
        f"/companies/{registered}/contacts", json=contact(staff, summary="other"), headers=headers
    )
    assert_problem(r, 422, "different request")


def test_if_match_with_a_stale_version_is_412(
    client: TestClient, staff: str, registered: str
) -> None:
    """If-Match names the version the client saw; a newer stream refuses the command."""
    ok = client.post(
        f"/companies/{registered}/contacts", json=contact(staff), headers={"If-Match": '"1"'}
    )
    assert ok.status_code == 201
    stale = client.post(
        f"/companies/{registered}/contacts", json=contact(staff), headers={"If-Match": '"1"'}
    )
    assert_problem(stale, 412, "version 2")


def test_a_referral_or_placement_names_a_candidate_of_the_companys_municipality(
    client: TestClient, staff: str, registered: str, services: Services
) -> None:
    """An id no candidate has, or a candidate of another municipality, is a 404 that
    says so, for a referral and a placement alike; nothing is written."""
    opening = client.post(
        f"/companies/{registered}/openings",
        json={"title": "H", "hours_per_week": 20, "placement_kinds": ["ordinary"], "by": staff},
    ).json()["id"]
    elsewhere = client.post(
        "/candidates",
        json={"municipality": "147", "name": "Testperson", "cpr": "0101901234", "by": staff},
    )
    assert elsewhere.status_code == 201, elsewhere.text
    place = {"kind": "ordinary", "hours_per_week": 30, "starts_on": "2026-01-05", "by": staff}
    before = len(events_of(services))
    for candidate in (str(uuid.uuid4()), elsewhere.json()["id"]):
        r = client.post(
            f"/companies/{registered}/referrals",
            json={"opening_id": opening, "candidate_id": candidate, "by": staff},
        )
        assert_problem(r, 404, "registered in municipality 165")
        r = client.post(
            f"/companies/{registered}/placements", json={"candidate_id": candidate, **place}
        )
        assert_problem(r, 404, candidate)
    assert len(events_of(services)) == before
    here = new_candidate(client, registered, staff)
    r = client.post(f"/companies/{registered}/placements", json={"candidate_id": here, **place})
    assert r.status_code == 201, r.text
    gone = new_candidate(client, registered, staff)
    assert client.post(f"/candidates/{gone}/erase", json={"by": staff}).status_code == 200
    r = client.post(f"/companies/{registered}/placements", json={"candidate_id": gone, **place})
    assert_problem(r, 409, "erased")


def test_a_whole_placement_story_is_recorded(
    client: TestClient, staff: str, registered: str, services: Services
) -> None:
    """Opening, referral, answer, placement, change, follow-ups, end and commitments."""
    c = f"/companies/{registered}"
    candidate = new_candidate(client, registered, staff)
    today = NOW.date().isoformat()
    steps: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", f"{c}/details", {"name": "Glans Rengøring ApS", "industry": "cleaning"}),
        ("POST", f"{c}/contact-person", {"staff_id": staff, "reason": "first"}),
        ("PUT", f"{c}/contact-preference", {"max_contacts_per_month": 3}),
    ]
    for method, path, body in steps:
        assert client.request(method, path, json={**body, "by": staff}).status_code == 200
    opening = client.post(
        f"{c}/openings",
        json={
            "title": "Helper",
            "hours_per_week": 20,
            "by": staff,
            "placement_kinds": ["internship", "wage_subsidy"],
        },
    ).json()["id"]
    referral = client.post(
        f"{c}/referrals",
        json={
            "opening_id": opening,
            "candidate_id": candidate,
            "health_clarified_on": today,
            "by": staff,
        },
    ).json()["id"]
    assert (
        client.post(
            f"{c}/referrals/{referral}/answer",
            json={"outcome": "hired", "answered_on": today, "by": staff},
        ).status_code
        == 200
    )
    placement = client.post(
        f"{c}/placements",
        json={
            "candidate_id": candidate,
            "referral_id": referral,
            "kind": "internship",
            "hours_per_week": 20,
            "starts_on": today,
            "by": staff,
        },
    ).json()["id"]
    assert (
        client.post(
            f"{c}/placements/{placement}/changes",
            json={"effective_on": today, "kind": "wage_subsidy", "hours_per_week": 25, "by": staff},
        ).status_code
        == 201
    )
    follow_up = client.post(
        f"{c}/follow-ups", json={"placement_id": placement, "due_on": today, "by": staff}
    ).json()["id"]
    assert (
        client.post(
            f"{c}/follow-ups/{follow_up}/complete",
            json={"held_on": today, "status": "on_track", "by": staff},
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"{c}/placements/{placement}/end",
            json={"ends_on": today, "reason": "completed", "by": staff},
        ).status_code
        == 200
    )
    commitment = client.post(
        f"{c}/commitments",
        json={"description": "Two hires", "target_hires": 2, "by_date": today, "by": staff},
    ).json()["id"]
    assert (
        client.post(
            f"{c}/commitments/{commitment}/reviews", json={"reviewed_on": today, "by": staff}
        ).status_code
        == 201
    )
    kinds = [type(e).__name__ for e in events_of(services)]
    assert kinds == [
        "Registered",
        "DetailsChanged",
        "ContactPersonAssigned",
        "ContactPreferenceSet",
        "OpeningRegistered",
        "CandidateReferred",
        "ReferralAnswered",
        "PlacementStarted",
        "PlacementChanged",
        "FollowUpScheduled",
        "FollowUpCompleted",
        "PlacementEnded",
        "CommitmentAgreed",
        "CommitmentReviewed",
    ]


def test_unknown_routes_are_problem_json(client: TestClient) -> None:
    """Even a wrong path answers in the problem format."""
    assert_problem(client.get("/nowhere"), 404, "Not Found")


def test_a_staff_member_moves_and_then_leaves(
    client: TestClient, staff: str, services: Services
) -> None:
    """Moves and leaving are events on the staff member's own stream."""
    today = NOW.date().isoformat()
    r = client.post(
        f"/staff/{staff}/moves",
        json={"municipality": "147", "unit": "business_unit", "moved_on": today},
    )
    assert (r.status_code, r.json()["version"]) == (200, 2)
    assert client.post(f"/staff/{staff}/leave", json={"left_on": today}).status_code == 200
    again = client.post(f"/staff/{staff}/leave", json={"left_on": today})
    assert_problem(again, 409, "has left")
    kinds = [type(e).__name__ for e in services.app.events.get(uuid.UUID(staff))]
    assert kinds == ["Joined", "Moved", "Left"]


def test_an_unknown_staff_member_is_404(client: TestClient) -> None:
    """Leaving is recorded only for someone who joined."""
    unknown = str(uuid.uuid4())
    r = client.post(f"/staff/{unknown}/leave", json={"left_on": NOW.date().isoformat()})
    assert_problem(r, 404, unknown)


def test_if_match_on_a_create_or_a_missing_stream_is_412(client: TestClient, staff: str) -> None:
    """If-Match names a version that a company not yet registered cannot have."""
    r = client.post(
        "/companies",
        json={"cvr": CVR, "name": "X", "municipality": "165", "by": staff},
        headers={"If-Match": '"3"'},
    )
    assert_problem(r, 412, "does not exist")


def test_if_match_star_requires_an_existing_stream(client: TestClient, staff: str) -> None:
    """`If-Match: *` passes for any existing version and fails for a create."""
    body = {"cvr": CVR, "name": "X", "municipality": "165", "by": staff}
    assert_problem(
        client.post("/companies", json=body, headers={"If-Match": "*"}), 412, "an existing resource"
    )
    assert client.post("/companies", json=body).status_code == 201
    ok = client.post(f"/companies/{CVR}/contacts", json=contact(staff), headers={"If-Match": "*"})
    assert ok.status_code == 201


def test_a_stale_if_match_on_a_staff_member_does_not_say_company(
    client: TestClient, staff: str
) -> None:
    """The 412 detail fits any stream."""
    r = client.post(
        f"/staff/{staff}/leave",
        json={"left_on": NOW.date().isoformat()},
        headers={"If-Match": '"5"'},
    )
    assert_problem(r, 412, "it is at version 1")
    assert "company" not in r.json()["detail"]


def test_malformed_json_and_a_missing_content_type_are_named(client: TestClient) -> None:
    """A broken body says it is not JSON; a form-encoded body says which header to send."""
    r = client.post("/staff", content=b'{"name": ', headers={"content-type": "application/json"})
    assert_problem(r, 422, "not valid JSON")
    r = client.post("/staff", content=b"name=x", headers={"content-type": "text/plain"})
    assert_problem(r, 422, "Content-Type: application/json")


def test_an_absurdly_long_if_match_is_422(client: TestClient, staff: str, registered: str) -> None:
    """A version number of 5,000 digits is invalid input, not a server error."""
    r = client.post(
        f"/companies/{registered}/contacts", json=contact(staff), headers={"If-Match": "9" * 5000}
    )
    assert_problem(r, 422, "If-Match")


def test_a_chunked_body_over_the_limit_is_413(
    client: TestClient, staff: str, registered: str
) -> None:
    """Without a Content-Length the limit still holds while the body streams in."""

    def chunks() -> Iterator[bytes]:
        yield b'{"summary": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}'

    r = client.post(
        f"/companies/{registered}/contacts",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert_problem(r, 413, "exceeds")


def test_a_store_failure_is_503_without_database_details(
    client: TestClient,
    staff: str,
    registered: str,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The client learns the store is unavailable; hosts and users stay in the log."""

    def down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError('connection to server at "10.9.8.7" failed for user "cb"')

    monkeypatch.setattr(services.app.recorder, "insert_events", down)
    r = client.post(f"/companies/{registered}/contacts", json=contact(staff))
    assert_problem(r, 503, "not applied")
    assert r.headers["Retry-After"] == "1"  # every 503 is retryable, and says when
    assert "10.9.8.7" not in r.text
    assert "cb" not in r.json()["detail"]


def test_today_is_the_danish_business_date(
    client: TestClient, staff: str, registered: str, services: Services
) -> None:
    """At 00:30 in Copenhagen (still yesterday in UTC) work dated today is accepted."""
    services.clock = lambda: datetime(2026, 6, 16, 0, 30, tzinfo=ZoneInfo("Europe/Copenhagen"))
    r = client.post(f"/staff/{staff}/leave", json={"left_on": "2026-06-16"})
    assert r.status_code == 200, r.text


def test_a_move_cannot_be_dated_ahead(client: TestClient, staff: str) -> None:
    """A move is recorded once it has happened."""
    later = (NOW.date() + timedelta(days=30)).isoformat()
    r = client.post(
        f"/staff/{staff}/moves",
        json={"municipality": "147", "unit": "business_unit", "moved_on": later},
    )
    assert_problem(r, 422, "future")
