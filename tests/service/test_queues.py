"""Caseloads, the handover queue and follow-ups due."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.http.container import Services
from tests.support.api import NOW, assert_problem, consultant, post
from tests.support.services import new_candidate

pytestmark = pytest.mark.stores  # rerun on SQLite and PostgreSQL by `make integration`

TODAY = NOW.date()


def _get(client: TestClient, path: str, position: int, **params: Any) -> Any:
    r = client.get(path, params={"min_position": position, **params})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_handover_moves_a_company_between_caseloads(
    client: TestClient, staff: str, registered: str
) -> None:
    """The company leaves the first person's caseload and enters the heir's."""
    heir = consultant(client, "Ingrid Havgaard")
    c = f"/companies/{registered}/contact-person"
    first = post(client, c, {"staff_id": staff, "reason": "first", "by": staff})
    assert [
        x["cvr"] for x in _get(client, f"/staff/{staff}/caseload", first["position"])["companies"]
    ] == [registered]
    moved = post(client, c, {"staff_id": heir, "reason": "rebalancing", "by": staff})
    assert _get(client, f"/staff/{staff}/caseload", moved["position"])["companies"] == []
    heirs = _get(client, f"/staff/{heir}/caseload", moved["position"])
    assert (heirs["person"]["name"], [x["cvr"] for x in heirs["companies"]]) == (
        "Ingrid Havgaard",
        [registered],
    )


def test_companies_of_someone_who_left_wait_in_the_handover_queue(
    client: TestClient,
    staff: str,
    registered: str,
) -> None:
    """Leaving puts the company in the queue with its open work; a handover takes it out."""
    c = f"/companies/{registered}"
    post(client, f"{c}/contact-person", {"staff_id": staff, "reason": "first", "by": staff})
    post(
        client,
        f"{c}/openings",
        {"title": "H", "hours_per_week": 20, "placement_kinds": ["ordinary"], "by": staff},
    )
    left = post(client, f"/staff/{staff}/leave", {"left_on": TODAY.isoformat()})
    [orphan] = _get(client, "/handover-queue", left["position"], municipality="165")
    assert (orphan["cvr"], orphan["left_person"]["name"], orphan["open_work"]) == (
        registered,
        "Gry Lyngbakke",
        {"open_openings": 1, "referrals_in_flight": 0, "in_placement": 0, "follow_ups_open": 0},
    )
    lead = consultant(client, "Tove Strandlyst")
    handed = post(client, f"{c}/contact-person", {"staff_id": lead, "reason": "left", "by": lead})
    assert _get(client, "/handover-queue", handed["position"]) == []


def test_follow_ups_due_are_grouped_by_person_overdue_first(
    client: TestClient,
    staff: str,
    registered: str,
) -> None:
    """Overdue and soon-due follow-ups, not held ones, under the contact person."""
    c = f"/companies/{registered}"
    post(client, f"{c}/contact-person", {"staff_id": staff, "reason": "first", "by": staff})
    placement = post(
        client,
        f"{c}/placements",
        {
            "candidate_id": new_candidate(client, registered, staff),
            "kind": "ordinary",
            "hours_per_week": 30,
            "starts_on": (TODAY - timedelta(days=90)).isoformat(),
            "by": staff,
        },
    )["id"]
    ids = {}
    for name, days in (("late", -5), ("soon", 3), ("later", 40), ("held", -1)):
        ids[name] = post(
            client,
            f"{c}/follow-ups",
            {
                "placement_id": placement,
                "due_on": (TODAY + timedelta(days=days)).isoformat(),
                "by": staff,
            },
        )["id"]
    last = post(
        client,
        f"{c}/follow-ups/{ids['held']}/complete",
        {"held_on": TODAY.isoformat(), "status": "on_track", "by": staff},
    )
    [mine] = _get(client, "/follow-ups/due", last["position"])
    assert mine["person"]["id"] == staff
    assert [(f["follow_up_id"], f["overdue"]) for f in mine["follow_ups"]] == [
        (ids["late"], True),
        (ids["soon"], False),
    ]


def test_the_caseload_of_an_unknown_person_is_404(client: TestClient) -> None:
    """Only staff who joined have a caseload."""
    unknown = str(uuid.uuid4())
    assert_problem(client.get(f"/staff/{unknown}/caseload"), 404, unknown)


def test_a_departure_dated_after_today_is_not_in_the_handover_queue_yet(
    client: TestClient,
    staff: str,
    registered: str,
    services: Services,
) -> None:
    """Until the day someone leaves, their companies keep them as contact person."""
    post(
        client,
        f"/companies/{registered}/contact-person",
        {"staff_id": staff, "reason": "first", "by": staff},
    )
    today = services.clock
    left_on = today().date().isoformat()
    left = post(client, f"/staff/{staff}/leave", {"left_on": left_on})
    services.clock = lambda: today() - timedelta(days=1)  # a reader whose today is earlier
    assert _get(client, "/handover-queue", left["position"]) == []
    caseload = _get(client, f"/staff/{staff}/caseload", left["position"])
    assert caseload["person"]["left"] is False
    services.clock = today
    [orphan] = _get(client, "/handover-queue", left["position"])
    assert (orphan["cvr"], orphan["left_on"]) == (registered, left_on)


def _work(
    client: TestClient,
    cvr: str,
    staff: str,
    openings: int,
    referrals: int,
    placements: int,
    follow_ups: int,
) -> int:
    """This much open work at the company, beside one of each kind closed, answered,
    ended or held (which are not open work); the last command's position."""
    c = f"/companies/{cvr}"
    post(client, f"{c}/contact-person", {"staff_id": staff, "reason": "first", "by": staff})
    opened = [
        post(
            client,
            f"{c}/openings",
            {
                "title": f"Helper {n}",
                "hours_per_week": 20,
                "placement_kinds": ["ordinary"],
                "by": staff,
            },
        )["id"]
        for n in range(openings + 1)
    ]
    post(client, f"{c}/openings/{opened[-1]}/close", {"by": staff})
    referred = [
        post(
            client,
            f"{c}/referrals",
            {
                "opening_id": opened[0],
                "candidate_id": new_candidate(client, cvr, staff),
                "by": staff,
            },
        )["id"]
        for _ in range(referrals + 1)
    ]
    post(
        client,
        f"{c}/referrals/{referred[-1]}/answer",
        {"outcome": "hired", "answered_on": TODAY.isoformat(), "by": staff},
    )
    started = [
        post(
            client,
            f"{c}/placements",
            {
                "candidate_id": new_candidate(client, cvr, staff),
                "kind": "ordinary",
                "hours_per_week": 30,
                "starts_on": (TODAY - timedelta(days=60)).isoformat(),
                "by": staff,
            },
        )["id"]
        for _ in range(placements + 1)
    ]
    post(
        client,
        f"{c}/placements/{started[-1]}/end",
        {"ends_on": TODAY.isoformat(), "reason": "completed", "by": staff},
    )
    scheduled = [
        post(
            client,
            f"{c}/follow-ups",
            {
                "placement_id": started[0],
                "due_on": (TODAY + timedelta(days=days)).isoformat(),
                "by": staff,
            },
        )["id"]
        for days in (-3, 5, 5, 40, 90)[: follow_ups + 1]
    ]
    held: int = post(
        client,
        f"{c}/follow-ups/{scheduled[1]}/complete",
        {"held_on": TODAY.isoformat(), "status": "on_track", "by": staff},
    )["position"]
    return held


def test_a_caseload_counts_each_companys_open_work(
    client: TestClient,
    staff: str,
    registered: str,
) -> None:
    """Open openings, referrals awaiting an answer, running placements and follow-ups not
    held, each company's own (the counters the overview's totals read): what is closed,
    answered, ended or held is not counted."""
    other = "24256790"
    post(
        client,
        "/companies",
        {"cvr": other, "name": "Glans Nord ApS", "municipality": "165", "by": staff},
    )
    _work(client, registered, staff, openings=3, referrals=2, placements=1, follow_ups=4)
    last = _work(client, other, staff, openings=1, referrals=4, placements=2, follow_ups=1)
    caseload = _get(client, f"/staff/{staff}/caseload", last)["companies"]
    expected = {
        registered: {
            "open_openings": 3,
            "referrals_in_flight": 2,
            "in_placement": 1,
            "follow_ups_open": 4,
        },
        other: {
            "open_openings": 1,
            "referrals_in_flight": 4,
            "in_placement": 2,
            "follow_ups_open": 1,
        },
    }
    assert {x["cvr"]: x["open_work"] for x in caseload} == expected
    totals = _get(client, f"/companies/{registered}", last)["totals"]
    assert (
        totals["open_openings"],
        totals["referrals_in_flight"],
        totals["in_placement"],
        totals["follow_ups_overdue"],
        totals["follow_ups_due"],
    ) == (3, 2, 1, 1, 1)
    left = post(client, f"/staff/{staff}/leave", {"left_on": TODAY.isoformat()})
    queue = _get(client, "/handover-queue", left["position"])
    assert {x["cvr"]: x["open_work"] for x in queue} == expected
