"""Coordination notices: the contact person learns what others logged at their companies."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.http.auth import Role, mint_token
from services.http.container import Services
from services.read.rebuild import rebuild
from tests.support.api import NOW, consultant, contact, post

pytestmark = pytest.mark.stores  # rerun on SQLite and PostgreSQL by `make integration`


def _notices(client: TestClient, staff_id: str, position: int) -> dict[str, Any]:
    r = client.get(f"/staff/{staff_id}/notices", params={"min_position": position})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _hold(client: TestClient, cvr: str, staff_id: str) -> int:
    """Make `staff_id` the company's contact person; the command's position."""
    body = {"staff_id": staff_id, "reason": "first", "by": staff_id}
    position: int = post(client, f"/companies/{cvr}/contact-person", body)["position"]
    return position


def _refer_and_place(client: TestClient, cvr: str, by: str) -> int:
    """An opening, a referral to it and a placement, all by `by`; the last position."""
    c = f"/companies/{cvr}"
    opening = post(
        client,
        f"{c}/openings",
        {"title": "Lagerhjælp", "hours_per_week": 20, "placement_kinds": ["ordinary"], "by": by},
    )["id"]
    candidate = post(
        client,
        "/candidates",
        {"municipality": "165", "name": "Kim Test", "cpr": "010190-1234", "by": by},
    )["id"]
    post(client, f"{c}/referrals", {"opening_id": opening, "candidate_id": candidate, "by": by})
    body = {
        "candidate_id": candidate,
        "kind": "wage_subsidy",
        "hours_per_week": 25,
        "starts_on": NOW.date().isoformat(),
        "by": by,
    }
    position: int = post(client, f"{c}/placements", body)["position"]
    return position


def test_a_contact_by_another_gives_the_contact_person_a_notice(
    client: TestClient, staff: str, registered: str
) -> None:
    """Who, what, when and which company: a colleague's phone call is news to the contact
    person, and no news to the colleague."""
    _hold(client, registered, staff)
    other = consultant(client, "Holger Mosekilde")
    logged = post(client, f"/companies/{registered}/contacts", contact(other))["position"]
    answer = _notices(client, staff, logged)
    assert answer["unread"] == 1
    [notice] = answer["notices"]
    assert notice == {
        "position": logged,
        "cvr": registered,
        "company": "Glans ApS",
        "kind": "contact_logged",
        "detail": "phone",
        "occurred_at": NOW.isoformat(),
        "actor": {"id": other, "name": "Holger Mosekilde", "left": False, "unit": "job_centre"},
    }
    assert _notices(client, other, logged) == {"staff_id": other, "unread": 0, "notices": []}


def test_the_contact_persons_own_work_gives_no_notice(
    client: TestClient, staff: str, registered: str
) -> None:
    """A contact, a referral and a placement by the contact person are not news to them."""
    _hold(client, registered, staff)
    post(client, f"/companies/{registered}/contacts", contact(staff))
    last = _refer_and_place(client, registered, staff)
    assert _notices(client, staff, last)["unread"] == 0


def test_a_referral_and_a_placement_by_another_are_notices(
    client: TestClient, staff: str, registered: str
) -> None:
    """Referrals and placements by others are news, newest first; an opening is not."""
    _hold(client, registered, staff)
    other = consultant(client, "Holger Mosekilde")
    last = _refer_and_place(client, registered, other)
    answer = _notices(client, staff, last)
    assert [(n["kind"], n["detail"]) for n in answer["notices"]] == [
        ("placement_started", "wage_subsidy"),
        ("candidate_referred", ""),
    ]


def test_a_notice_goes_to_whoever_was_contact_person_at_the_time(
    client: TestClient, staff: str, registered: str
) -> None:
    """Before a handover the old contact person hears of others' work; after it the new
    one does (of later work only), and no one of work before anyone held the company."""
    third = consultant(client, "Ask Havgaard")
    heir = consultant(client, "Ingrid Havgaard")
    c = f"/companies/{registered}/contacts"
    post(client, c, contact(third, summary="before anyone"))
    _hold(client, registered, staff)
    first = post(client, c, contact(third, summary="while Gry"))["position"]
    _hold(client, registered, heir)
    second = post(client, c, contact(third, summary="while Ingrid"))["position"]
    assert [n["position"] for n in _notices(client, staff, second)["notices"]] == [first]
    assert [n["position"] for n in _notices(client, heir, second)["notices"]] == [second]


def test_a_consultant_reads_only_their_own_notices(
    client: TestClient, services: Services, staff: str, registered: str
) -> None:
    """Another consultant's notices are refused (403), as their caseload is."""
    other = consultant(client, "Holger Mosekilde")
    token = mint_token(
        services.settings, subject=other, role=Role.CONSULTANT, municipalities=["165"]
    )
    r = client.get(f"/staff/{staff}/notices", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
    assert "own" in r.json()["detail"]


def test_a_rebuild_gives_the_same_notices(
    client: TestClient, services: Services, staff: str, registered: str
) -> None:
    """The notices are a read model of the log: rebuilt from zero they are the same."""
    _hold(client, registered, staff)
    other = consultant(client, "Holger Mosekilde")
    post(client, f"/companies/{registered}/contacts", contact(other))
    last = _refer_and_place(client, registered, other)
    before = _notices(client, staff, last)
    assert before["unread"] == 3
    assert services.projections is not None
    assert services.projections.wait_for(last, 5)
    runner = rebuild(services.app, services.views, "notices", lambda _: None)
    assert services.views.active_generation("notices") == (runner.generation, last)
    assert _notices(client, staff, last) == before
