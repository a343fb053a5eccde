"""The effect statement of a programme contract over HTTP (issue 23)."""

from __future__ import annotations

import csv
import io
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from services.http.auth import Role, mint_token
from services.http.container import Services
from tests.service.test_candidates import register as register_candidate
from tests.service.test_contracts_api import ADMIN, PRICES, placement
from tests.service.test_programmes import join, programme
from tests.support.api import as_staff

AS_OF = "2026-12-01"


def effects(client: TestClient, contract_id: str, **params: str | int) -> Any:
    r = client.get(f"/contracts/{contract_id}/effects", params={"as_of": AS_OF, **params})
    assert r.status_code == 200, r.text
    return r.json()


def test_the_statement_counts_what_participants_started_while_taking_part(
    client: TestClient, registered: str, staff: str
) -> None:
    """One ordinary job started after joining counts, with its milestones, hours and
    amount; an internship is listed apart; a job started before joining is not there."""
    contract_id = programme(client)
    placement(client, registered, staff, starts_on="2026-01-12")  # before joining
    assert join(client, contract_id, registered, "2026-02-01").status_code == 201
    placement(client, registered, staff, starts_on="2026-02-02")
    placement(client, registered, staff, kind="internship", starts_on="2026-02-09")
    body = effects(client, contract_id)
    assert body["counterparty"] == {"name": "Den Sociale Kapitalfond", "cvr": "29403473"}
    assert (body["from"], body["to"], body["as_of"]) == ("2026-01-01", "2026-12-31", AS_OF)
    assert isinstance(body["position"], int) and len(str(body["digest"])) == 64
    [company] = body["companies"]
    assert company["cvr"] == registered
    assert company["participations"] == [{"from": "2026-02-01", "to": None}]
    assert company["placements_started"] == 1 and company["internships"] == 1
    assert company["milestones"] == {"start": 1, "13_weeks": 1, "26_weeks": 1}
    assert company["still_employed"] == {"13_weeks": 1, "26_weeks": 1, "52_weeks": 0}
    assert company["durable_jobs"] == 1 and company["hours_per_week"] == 30.0
    assert company["amount_ore"] == sum(PRICES)
    assert body["totals"] == {
        "placements_started": 1,
        "durable_jobs": 1,
        "amount_ore": sum(PRICES),
        "cost_per_durable_job_ore": sum(PRICES),
        "cost_per_job_started_ore": sum(PRICES),
    }
    ledger = client.get(f"/contracts/{contract_id}/ledger").json()
    assert sum(e["amount_ore"] for e in ledger["entries"]) == body["totals"]["amount_ore"]


def test_a_statement_replays_at_its_position_after_new_events(
    client: TestClient, registered: str, staff: str
) -> None:
    """The same position and day give the same statement, byte for byte; the current
    one shows the job started since."""
    contract_id = programme(client)
    assert join(client, contract_id, registered, "2026-02-01").status_code == 201
    placement(client, registered, staff, starts_on="2026-02-02")
    first = client.get(f"/contracts/{contract_id}/effects", params={"as_of": AS_OF})
    position = first.json()["position"]
    placement(client, registered, staff, starts_on="2026-03-02")
    again = client.get(
        f"/contracts/{contract_id}/effects", params={"as_of": AS_OF, "position": position}
    )
    assert again.status_code == 200 and again.content == first.content
    now = effects(client, contract_id)
    assert now["position"] > position
    assert now["totals"]["placements_started"] == 2
    ahead = client.get(
        f"/contracts/{contract_id}/effects",
        params={"position": int(now["position"]) + 50},
    )
    assert ahead.status_code == 422 and "past the sealed log" in ahead.json()["detail"]


def test_the_current_statement_lists_what_changed_since_an_earlier_one(
    client: TestClient, registered: str, staff: str
) -> None:
    """After a late-logged end, the statement with `since` gives each figure that fell
    as a line of its own (a credit), and the earlier statement still replays unchanged."""
    contract_id = programme(client)
    assert join(client, contract_id, registered, "2026-02-01").status_code == 201
    placement_id, _ = placement(client, registered, staff, starts_on="2026-02-02")
    first = client.get(f"/contracts/{contract_id}/effects", params={"as_of": AS_OF})
    position = first.json()["position"]
    unchanged = effects(client, contract_id, since=position)["changes"]
    assert unchanged["since"] == position and unchanged["lines"] == []
    assert unchanged["since_digest"] == first.json()["digest"]
    r = client.post(
        f"/companies/{registered}/placements/{placement_id}/end",
        json={"by": staff, "ends_on": "2026-03-01", "reason": "resigned"},
    )
    assert r.status_code == 200, r.text
    changes = effects(client, contract_id, since=position)["changes"]
    moved = {
        line["figure"]: (line["was"], line["now"], line["change"]) for line in changes["lines"]
    }
    assert moved == {
        "amount_ore": (sum(PRICES), PRICES[0], -PRICES[1] - PRICES[2]),
        "durable_jobs": (1, 0, -1),
        "milestones.13_weeks": (1, 0, -1),
        "milestones.26_weeks": (1, 0, -1),
        "still_employed.13_weeks": (1, 0, -1),
        "still_employed.26_weeks": (1, 0, -1),
    }
    assert {line["cvr"] for line in changes["lines"]} == {registered}
    assert changes["totals"] == {
        "placements_started": 0,
        "durable_jobs": -1,
        "amount_ore": -PRICES[1] - PRICES[2],
    }
    again = client.get(
        f"/contracts/{contract_id}/effects", params={"as_of": AS_OF, "position": position}
    )
    assert again.content == first.content
    r = client.get(
        f"/contracts/{contract_id}/effects",
        params={"as_of": AS_OF, "position": position, "since": position + 1},
    )
    assert r.status_code == 422 and "lies after" in r.json()["detail"]
    r = client.get(f"/contracts/{contract_id}/effects", params={"since": 0})
    assert r.status_code == 422 and "before contract" in r.json()["detail"]


def test_the_statement_as_csv(client: TestClient, registered: str, staff: str) -> None:
    contract_id = programme(client)
    assert join(client, contract_id, registered, "2026-02-01").status_code == 201
    placement(client, registered, staff, starts_on="2026-02-02")
    r = client.get(f"/contracts/{contract_id}/effects", params={"as_of": AS_OF, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["cvr"] for row in rows] == [registered, "total"]
    assert rows[0]["reached_26_weeks"] == "1" and rows[0]["participations"] == "2026-02-01.."
    assert rows[1]["amount_ore"] == str(sum(PRICES)) and rows[1]["durable_jobs"] == "1"


def test_a_municipality_contract_has_no_statement(client: TestClient) -> None:
    r = client.post(
        "/contracts",
        json={
            "municipality": "165",
            "name": "Hele kommunen",
            "period_from": "2026-01-01",
            "period_to": "2026-12-31",
            "rules": {"default_prices_ore": PRICES},
            "by": ADMIN,
        },
    )
    refused = client.get(f"/contracts/{r.json()['id']}/effects")
    assert refused.status_code == 409 and "programme" in refused.json()["detail"]


def test_the_comparison_shows_each_visible_programme_side_by_side(
    client: TestClient, registered: str, staff: str, services: Services
) -> None:
    """Two programmes of 165 and one of 147: an auditor of 165 sees 165's two, with the
    same totals as their own statements; a municipality contract is not listed."""
    first, second = programme(client), programme(client, name="Anden runde")
    elsewhere = programme(client, municipality="147")
    assert join(client, first, registered, "2026-02-01").status_code == 201
    placement(client, registered, staff, starts_on="2026-02-02")
    token = mint_token(
        services.settings, subject="revisor", role=Role.AUDITOR, municipalities=["165"]
    )
    r = client.get("/effects", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    rows = {row["contract_id"]: row for row in r.json()["contracts"]}
    assert set(rows) == {first, second} and elsewhere not in rows
    own = effects(client, first)["totals"]
    assert {k: rows[first][k] for k in own} == own
    assert rows[first]["cost_per_durable_job_ore"] == sum(PRICES)
    assert rows[second]["placements_started"] == 0
    assert rows[second]["cost_per_durable_job_ore"] is None
    assert rows[first]["counterparty"]["name"] == "Den Sociale Kapitalfond"


def test_with_a_baseline_only_placements_above_it_are_paid(
    client: TestClient, registered: str, staff: str
) -> None:
    """One paid job in the 12 months before joining (and an internship, and one 13
    months before, which do not count) make a baseline of 1: of the two jobs started
    in the first year of participation, the first is not paid, the second is."""
    contract_id = programme(client, rules={"baseline": True})
    placement(client, registered, staff, starts_on="2024-12-30")  # 13 months before
    placement(client, registered, staff, starts_on="2025-03-03")  # within 12 months
    placement(client, registered, staff, kind="internship", starts_on="2025-04-07")
    assert join(client, contract_id, registered, "2026-02-01").status_code == 201
    first, _ = placement(client, registered, staff, starts_on="2026-02-02")
    second, _ = placement(client, registered, staff, starts_on="2026-03-02")
    ledger = client.get(f"/contracts/{contract_id}/ledger").json()
    assert {e["placement_id"] for e in ledger["entries"]} == {second} and first != second
    [company] = effects(client, contract_id)["companies"]
    assert (company["baseline"], company["placements_started"]) == (1, 2)
    assert company["above_baseline"] == 1
    assert company["amount_ore"] == sum(
        e["amount_ore"] for e in ledger["entries"] if e["reached_on"] <= "2026-12-31"
    )


def test_an_internship_takes_no_place_of_the_baseline(
    client: TestClient, registered: str, staff: str
) -> None:
    """A baseline of 1 and, after joining, an internship first, then two jobs: the
    internship is never paid and never counts against the baseline, so the first job
    is not paid and the second is (the demo showed the internship taking the place)."""
    contract_id = programme(client, rules={"baseline": True})
    placement(client, registered, staff, starts_on="2025-03-03")
    assert join(client, contract_id, registered, "2026-02-01").status_code == 201
    placement(client, registered, staff, kind="internship", starts_on="2026-02-02")
    first, _ = placement(client, registered, staff, starts_on="2026-02-09")
    second, _ = placement(client, registered, staff, starts_on="2026-03-02")
    ledger = client.get(f"/contracts/{contract_id}/ledger").json()
    assert {e["placement_id"] for e in ledger["entries"]} == {second} and first != second
    [company] = effects(client, contract_id)["companies"]
    assert (company["baseline"], company["placements_started"], company["internships"]) == (
        1,
        2,
        1,
    )
    assert company["above_baseline"] == 1


def test_erasing_a_job_seeker_leaves_the_statement_as_it_was(
    client: TestClient, registered: str, staff: str, services: Services
) -> None:
    """The statement holds counts, not people: after the job seeker in its one job is
    erased (their key shredded), it replays byte for byte at its position and the
    current one gives the same figures."""
    contract_id = programme(client)
    assert join(client, contract_id, registered, "2026-02-01").status_code == 201
    candidate = register_candidate(client, staff)
    r = client.post(
        f"/companies/{registered}/placements",
        json={
            "by": staff,
            "candidate_id": candidate,
            "kind": "ordinary",
            "hours_per_week": 30,
            "starts_on": "2026-02-02",
        },
    )
    assert r.status_code == 201, r.text
    first = client.get(f"/contracts/{contract_id}/effects", params={"as_of": AS_OF})
    r = client.post(
        f"/candidates/{candidate}/erase",
        json={},
        headers=as_staff(client, staff, Role.TEAM_LEAD),
    )
    assert r.status_code == 200, r.text
    assert services.vault.key(UUID(candidate)) is None
    again = client.get(
        f"/contracts/{contract_id}/effects",
        params={"as_of": AS_OF, "position": first.json()["position"]},
    )
    assert again.content == first.content
    now = effects(client, contract_id)
    assert now["position"] > first.json()["position"]
    assert (now["companies"], now["totals"]) == (
        first.json()["companies"],
        first.json()["totals"],
    )
    assert first.json()["totals"]["placements_started"] == 1
