"""Programme contracts over HTTP: the paid actor, participating companies, and which
placements count (issue 23)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.http.container import Services
from tests.service.test_contracts_api import ADMIN, PRICES, YEAR, placement
from tests.support.site import CVR, open_site

OTHER = "24256790"  # a second company of municipality 165, never taking part
FUND = {"name": "Den Sociale Kapitalfond", "cvr": "29403473"}


def programme(client: TestClient, **extra: Any) -> str:
    """A programme contract of municipality 165 for 2026 at PRICES, paying FUND."""
    r = client.post(
        "/contracts",
        json={
            "municipality": "165",
            "name": "Vækst med Social Bundlinje",
            "rules": {"default_prices_ore": PRICES, **extra.pop("rules", {})},
            **YEAR,
            "counterparty": FUND,
            "target_group": "long_term_unemployed",
            "scope": "programme",
            "by": ADMIN,
            **extra,
        },
    )
    assert r.status_code == 201, r.text
    contract_id: str = r.json()["id"]
    return contract_id


def join(client: TestClient, contract_id: str, cvr: str, day: str) -> Any:
    return client.post(
        f"/contracts/{contract_id}/participants", json={"cvr": cvr, "from": day, "by": ADMIN}
    )


def leave(client: TestClient, contract_id: str, cvr: str, day: str) -> Any:
    return client.post(
        f"/contracts/{contract_id}/participants/{cvr}/end", json={"on": day, "by": ADMIN}
    )


def paid(client: TestClient, contract_id: str) -> dict[str, list[str]]:
    """placement id -> the milestones the ledger counts for it."""
    r = client.get(f"/contracts/{contract_id}/ledger")
    assert r.status_code == 200, r.text
    found: dict[str, list[str]] = {}
    for e in r.json()["entries"]:
        found.setdefault(e["placement_id"], []).append(e["milestone"])
    return found


@pytest.fixture
def other(client: TestClient, staff: str) -> str:
    r = client.post(
        "/companies", json={"cvr": OTHER, "name": "Fjord A/S", "municipality": "165", "by": staff}
    )
    assert r.status_code == 201, r.text
    return OTHER


def test_only_placements_a_participant_started_while_taking_part_count(
    client: TestClient, registered: str, other: str, staff: str
) -> None:
    """Before joining, at a company that never joined, and in the gap between leaving
    and rejoining: never paid. While taking part: paid."""
    contract_id = programme(client)
    before, _ = placement(client, registered, staff, starts_on="2026-01-05")
    elsewhere, _ = placement(client, other, staff, starts_on="2026-02-02")
    assert join(client, contract_id, registered, "2026-02-01").status_code == 201
    during, _ = placement(client, registered, staff, starts_on="2026-02-02")
    assert leave(client, contract_id, registered, "2026-03-31").status_code == 200
    gap, _ = placement(client, registered, staff, starts_on="2026-04-06")
    assert join(client, contract_id, registered, "2026-05-01").status_code == 201
    again, _ = placement(client, registered, staff, starts_on="2026-05-04")

    counted = paid(client, contract_id)
    assert set(counted) == {during, again}
    assert counted[during] == ["start", "13_weeks", "26_weeks"]
    assert not {before, elsewhere, gap} & set(counted)
    ledger = client.get(f"/contracts/{contract_id}/ledger").json()
    assert ledger["counterparty"] == FUND and ledger["scope"] == "programme"
    assert ledger["target_group"] == "long_term_unemployed"
    bases = {e["placement_id"]: e["admitted_by"] for e in ledger["entries"]}
    assert bases[during] == "participation 2026-02-01 to 2026-03-31"
    assert bases[again] == "participation 2026-05-01 to now"


def test_a_milestone_after_the_measurement_period_is_never_paid(
    client: TestClient, registered: str, staff: str
) -> None:
    """With one year of measurement after a participation that ended on 31 March 2024,
    a placement started on 4 March 2024 counts until 31 March 2025: its 52-week
    milestone (3 March 2025) is paid, its 60-week one (28 April 2025) is not."""
    milestones = [
        {"name": "start", "weeks": 0, "price_ore": 100},
        {"name": "52_weeks", "weeks": 52, "price_ore": 100},
        {"name": "60_weeks", "weeks": 60, "price_ore": 100},
    ]
    contract_id = programme(
        client,
        period_from="2024-01-01",
        period_to="2024-12-31",
        rules={"milestones": milestones, "measurement_years": 1, "durable_milestone": "52_weeks"},
    )
    assert join(client, contract_id, registered, "2024-01-01").status_code == 201
    started, _ = placement(client, registered, staff, starts_on="2024-03-04")
    assert paid(client, contract_id).get(started) == ["start", "52_weeks", "60_weeks"]
    assert leave(client, contract_id, registered, "2024-03-31").status_code == 200
    assert paid(client, contract_id).get(started) == ["start", "52_weeks"]


def test_invoices_are_addressed_to_the_counterparty(
    client: TestClient, registered: str, staff: str
) -> None:
    contract_id = programme(client)
    assert join(client, contract_id, registered, "2026-01-01").status_code == 201
    placement(client, registered, staff, starts_on="2026-01-05")
    r = client.post(f"/contracts/{contract_id}/invoices", json={**YEAR, "by": ADMIN})
    assert r.status_code == 201, r.text
    body = client.get(f"/invoices/{r.json()['id']}").json()
    assert body["to"] == FUND
    assert all(line["admitted_by"].startswith("participation") for line in body["lines"])


def test_a_municipality_contract_counts_every_company_and_has_no_participants(
    client: TestClient, registered: str, other: str, staff: str
) -> None:
    """The default scope is today's contract: both companies' placements count, lines
    carry no `admitted_by` (so invoices replay as they did), and joining is refused."""
    r = client.post(
        "/contracts",
        json={
            "municipality": "165",
            "name": "Hele kommunen",
            **YEAR,
            "rules": {"default_prices_ore": PRICES},
            "by": ADMIN,
        },
    )
    contract_id = r.json()["id"]
    placement(client, registered, staff)
    placement(client, other, staff)
    assert len(paid(client, contract_id)) == 2
    body = client.get(f"/contracts/{contract_id}/ledger").json()
    assert body["scope"] == "municipality" and body["counterparty"] is None
    refused = join(client, contract_id, registered, "2026-02-01")
    assert refused.status_code == 409, refused.text
    assert "scope municipality" in refused.json()["detail"]
    issued = client.post(f"/contracts/{contract_id}/invoices", json={**YEAR, "by": ADMIN})
    lines = client.get(f"/invoices/{issued.json()['id']}").json()["lines"]
    assert lines and all("admitted_by" not in line for line in lines)


def test_a_company_takes_part_in_one_programme_at_a_time(
    client: TestClient, registered: str, staff: str
) -> None:
    first, second = programme(client), programme(client, name="Anden runde")
    assert join(client, first, registered, "2026-02-01").status_code == 201
    refused = join(client, second, registered, "2026-03-01")
    assert refused.status_code == 409
    assert "Vækst med Social Bundlinje" in refused.json()["detail"]
    assert leave(client, second, registered, "2026-03-01").status_code == 409  # not in it
    assert leave(client, first, registered, "2026-01-15").status_code == 422  # before joining
    assert leave(client, first, registered, "2026-02-28").status_code == 200
    assert join(client, second, registered, "2026-02-28").status_code == 422  # same day
    assert join(client, second, registered, "2026-03-01").status_code == 201


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"scope": "region"}, 422),
        ({"target_group": "people_with_a_reason"}, 422),
        ({"counterparty": {"name": "Fond", "cvr": "12345678"}}, 422),  # fails modulus 11
        ({"counterparty": {"name": " ", "cvr": "29403473"}}, 422),
        ({"rules": {"durable_milestone": "52_weeks"}}, 422),
        ({"rules": {"measurement_years": 0}}, 422),
    ],
)
def test_bad_terms_are_refused(client: TestClient, change: dict[str, Any], status: int) -> None:
    body: dict[str, Any] = {
        "municipality": "165",
        "name": "Program",
        **YEAR,
        "rules": {"default_prices_ore": PRICES},
        "counterparty": FUND,
        "scope": "programme",
        "by": ADMIN,
    }
    for key, value in change.items():
        body[key] = {**body[key], **value} if key == "rules" else value
    assert client.post("/contracts", json=body).status_code == status


def test_joining_outside_the_period_or_another_municipality_is_refused(
    client: TestClient, staff: str, registered: str
) -> None:
    contract_id = programme(client)
    assert join(client, contract_id, registered, "2027-01-01").status_code == 422
    assert join(client, str(uuid.uuid4()), registered, "2026-02-01").status_code == 404
    elsewhere = client.post(
        "/staff", json={"name": "Bo Holm", "municipality": "101", "unit": "job_centre"}
    ).json()["id"]
    r = client.post(
        "/companies",
        json={"cvr": "10150817", "name": "Kbh ApS", "municipality": "101", "by": elsewhere},
    )
    assert r.status_code == 201, r.text
    refused = join(client, contract_id, "10150817", "2026-02-01")
    assert refused.status_code == 422 and "municipality 101" in refused.json()["detail"]


def test_the_company_shows_its_programme_to_its_contact_person(services: Services) -> None:
    """Joining is in the company's own history: the overview says "Deltager i … siden",
    the timeline shows joining and leaving, and "Mit arbejde" names the programme."""
    site = next(open_site(services))
    contract_id = programme(site.api)
    assert join(site.api, contract_id, CVR, "2026-02-01").status_code == 201
    overview = site.api.get(f"/companies/{CVR}").json()
    assert overview["programme"] == {
        "contract_id": contract_id,
        "name": "Vækst med Social Bundlinje",
        "since": "2026-02-01",
    }
    site.sign_in(site.consultant)
    shown = "Deltager i Vækst med Social Bundlinje siden 01.02.2026"
    assert shown in site.company_page()
    work = site.browser.get("/app/my-work")
    assert work.status_code == 200 and shown in work.text
    assert leave(site.api, contract_id, CVR, "2026-06-30").status_code == 200
    page = site.company_page()
    assert shown not in page
    assert "Sidste dag i programmet" in page and "Deltager i et program" in page
    kinds = [e["kind"] for e in site.api.get(f"/companies/{CVR}/timeline").json()["entries"]]
    assert kinds[:2] == ["programme_left", "programme_joined"]
    assert site.api.get(f"/companies/{CVR}").json()["programme"] is None
