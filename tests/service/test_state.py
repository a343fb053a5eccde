"""The company's state on two time axes: recording time and business date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.api import assert_problem, contact, post
from tests.support.services import new_candidate

pytestmark = pytest.mark.stores  # rerun on SQLite and PostgreSQL by `make integration`

NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()


def _state(client: TestClient, cvr: str, **params: Any) -> dict[str, Any]:
    r = client.get(f"/companies/{cvr}/state", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_known_at_shows_what_had_been_recorded_by_then(
    client: TestClient,
    staff: str,
    registered: str,
) -> None:
    """A placement end recorded later is unknown at an earlier recording time."""
    c = f"/companies/{registered}"
    placement = post(
        client,
        f"{c}/placements",
        {
            "candidate_id": new_candidate(client, registered, staff),
            "kind": "ordinary",
            "hours_per_week": 30,
            "starts_on": (TODAY - timedelta(days=100)).isoformat(),
            "by": staff,
        },
    )["id"]
    before_end = datetime.now(UTC).isoformat()
    post(
        client,
        f"{c}/placements/{placement}/end",
        {"ends_on": (TODAY - timedelta(days=50)).isoformat(), "reason": "resigned", "by": staff},
    )
    then = _state(client, registered, known_at=before_end)
    now = _state(client, registered)
    assert then["placements"][placement]["ended_on"] is None
    assert now["placements"][placement]["ended_on"] == (TODAY - timedelta(days=50)).isoformat()
    assert now["version"] == then["version"] + 1


def test_as_of_shows_what_had_happened_by_that_date(
    client: TestClient,
    staff: str,
    registered: str,
) -> None:
    """Before its start date a placement is absent; before its end date it is running."""
    c = f"/companies/{registered}"
    placement = post(
        client,
        f"{c}/placements",
        {
            "candidate_id": new_candidate(client, registered, staff),
            "kind": "internship",
            "hours_per_week": 20,
            "starts_on": (TODAY - timedelta(days=100)).isoformat(),
            "by": staff,
        },
    )["id"]
    post(
        client,
        f"{c}/placements/{placement}/changes",
        {
            "effective_on": (TODAY - timedelta(days=70)).isoformat(),
            "kind": "wage_subsidy",
            "hours_per_week": 25,
            "by": staff,
        },
    )
    post(
        client,
        f"{c}/placements/{placement}/end",
        {"ends_on": (TODAY - timedelta(days=10)).isoformat(), "reason": "completed", "by": staff},
    )
    post(
        client, f"{c}/contacts", contact(staff, occurred_at=(NOW - timedelta(days=80)).isoformat())
    )
    early = _state(client, registered, as_of=(TODAY - timedelta(days=120)).isoformat())
    middle = _state(client, registered, as_of=(TODAY - timedelta(days=80)).isoformat())
    later = _state(client, registered, as_of=(TODAY - timedelta(days=30)).isoformat())
    assert early["placements"] == {} and early["contacts"] == 0
    assert middle["placements"][placement]["kind"] == "internship"
    assert middle["contacts"] == 1
    assert later["placements"][placement] == {
        "candidate_id": later["placements"][placement]["candidate_id"],
        "kind": "wage_subsidy",
        "hours_per_week": 25,
        "starts_on": (TODAY - timedelta(days=100)).isoformat(),
        "ended_on": None,
    }


def test_before_registration_there_is_no_company(client: TestClient, staff: str) -> None:
    """Known at a time before it was registered, the company is not found."""
    before = datetime.now(UTC).isoformat()
    post(
        client,
        "/companies",
        {"cvr": "13748136", "name": "Glans ApS", "municipality": "165", "by": staff},
    )
    assert_problem(
        client.get("/companies/13748136/state", params={"known_at": before}),
        404,
        "was registered by",
    )
    r = client.get("/companies/13748136/state", params={"known_at": "2026-01-01T00:00:00"})
    assert_problem(r, 422, "known_at")
