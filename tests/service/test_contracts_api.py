"""Outcome contracts over HTTP: rules, the ledger, invoices, corrections and disputes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

import services.audit.ledger as ledger_module
from services.audit.ledger import evaluate_contract
from services.http.container import Services
from tests.support.services import new_candidate

PRICES = [10_000_00, 20_000_00, 30_000_00]
YEAR = {"period_from": "2026-01-01", "period_to": "2026-12-31"}
ADMIN = str(uuid.uuid4())


def contract(client: TestClient, **rules: Any) -> str:
    """A contract of municipality 165 for 2026 at PRICES."""
    r = client.post(
        "/contracts",
        json={
            "municipality": "165",
            "name": "Vækst med Social Bundlinje",
            **YEAR,
            "rules": {"default_prices_ore": PRICES, **rules},
            "by": ADMIN,
        },
    )
    assert r.status_code == 201, r.text
    contract_id: str = r.json()["id"]
    return contract_id


def placement(
    client: TestClient, cvr: str, staff: str, kind: str = "ordinary", starts_on: str = "2026-01-05"
) -> tuple[str, str]:
    """Start a placement for a new candidate; return its id and the candidate's."""
    candidate = new_candidate(client, cvr, staff)
    r = client.post(
        f"/companies/{cvr}/placements",
        json={
            "by": staff,
            "candidate_id": candidate,
            "kind": kind,
            "hours_per_week": 30,
            "starts_on": starts_on,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["id"], candidate


def ledger(
    client: TestClient, contract_id: str, known_at: str | None = None
) -> dict[str, tuple[str, int, int]]:
    """milestone -> (state, amount, pending correction)."""
    params = {"known_at": known_at} if known_at else {}
    r = client.get(f"/contracts/{contract_id}/ledger", params=params)
    assert r.status_code == 200, r.text
    return {
        e["milestone"]: (e["state"], e["amount_ore"], e["pending_correction_ore"])
        for e in r.json()["entries"]
    }


def invoice(client: TestClient, contract_id: str) -> dict[str, Any]:
    """Issue an invoice for 2026 and read it back."""
    r = client.post(f"/contracts/{contract_id}/invoices", json={**YEAR, "by": ADMIN})
    assert r.status_code == 201, r.text
    read = client.get(f"/invoices/{r.json()['id']}")
    assert read.status_code == 200, read.text
    body: dict[str, Any] = read.json()
    return body


def test_the_ledger_lists_each_milestone_with_its_proof(
    client: TestClient, registered: str, staff: str
) -> None:
    """A 2026 ordinary job reached start, 13 and 26 weeks; each line names its events."""
    contract_id = contract(client)
    placement_id, candidate = placement(client, registered, staff)
    r = client.get(f"/contracts/{contract_id}/ledger")
    entries = r.json()["entries"]
    assert [(e["milestone"], e["state"], e["amount_ore"]) for e in entries] == [
        ("start", "claimable", PRICES[0]),
        ("13_weeks", "claimable", PRICES[1]),
        ("26_weeks", "claimable", PRICES[2]),
    ]
    assert {e["placement_id"] for e in entries} == {placement_id}
    assert entries[0]["candidate_id"] == candidate and entries[0]["cvr"] == registered
    assert entries[1]["reached_on"] == "2026-04-06"
    assert len(entries[0]["proof"]) == 1 and entries[0]["proof"][0].endswith(":2")


def test_an_internship_never_appears_in_the_ledger(
    client: TestClient, registered: str, staff: str
) -> None:
    """Only paid work is an outcome."""
    contract_id = contract(client)
    placement(client, registered, staff, kind="internship")
    assert ledger(client, contract_id) == {}


def test_an_invoice_pins_position_and_digest_and_a_late_end_is_credited_later(
    client: TestClient, registered: str, staff: str, services: Services
) -> None:
    """The first invoice stays as issued; the next one credits what a late-logged end
    took away, and each invoice's lines are reproduced from the log at its position."""
    contract_id = contract(client)
    placement_id, _ = placement(client, registered, staff)
    first = invoice(client, contract_id)
    assert [line["amount_ore"] for line in first["lines"]] == PRICES
    assert first["total_ore"] == sum(PRICES) and len(first["digest"]) == 64
    assert first["seal_agrees"] is True
    between = datetime.now().astimezone().isoformat()
    r = client.post(
        f"/companies/{registered}/placements/{placement_id}/end",
        json={"by": staff, "ends_on": "2026-03-01", "reason": "resigned"},
    )
    assert r.status_code == 200, r.text
    assert ledger(client, contract_id)["26_weeks"] == ("invoiced", 0, -PRICES[2])
    assert ledger(client, contract_id, between)["26_weeks"] == ("invoiced", PRICES[2], 0)
    second = invoice(client, contract_id)
    assert [(line["kind"], line["amount_ore"]) for line in second["lines"]] == [
        ("credit", -PRICES[1]),
        ("credit", -PRICES[2]),
    ]
    assert all(line["corrects"] == [first["invoice_id"]] for line in second["lines"])
    assert client.get(f"/invoices/{first['invoice_id']}").json()["lines"] == first["lines"]
    for issued in (first, second):
        again = evaluate_contract(
            services.app,
            UUID(contract_id),
            stop=issued["position"],
            today=datetime.fromisoformat(issued["computed_on"]).date(),
        )
        assert (
            again.invoice_lines((again.contract.period_from, again.contract.period_to))
            == issued["lines"]
        )


def test_nothing_to_invoice_is_a_conflict(client: TestClient, registered: str) -> None:
    """An invoice without lines is refused with 409 and writes nothing."""
    contract_id = contract(client)
    r = client.post(f"/contracts/{contract_id}/invoices", json={**YEAR, "by": ADMIN})
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert "nothing to invoice" in r.json()["detail"]


def test_a_dispute_and_its_resolution_change_the_lines_state(
    client: TestClient, registered: str, staff: str
) -> None:
    """disputed, then recovered; a second resolution is refused."""
    contract_id = contract(client)
    placement(client, registered, staff)
    issued = invoice(client, contract_id)
    key = issued["lines"][0]["key"]
    r = client.post(
        f"/invoices/{issued['invoice_id']}/disputes",
        json={"keys": [key], "reason": "the start was not documented", "by": ADMIN},
    )
    assert r.status_code == 201, r.text
    dispute_id = r.json()["id"]
    assert ledger(client, contract_id)["start"][0] == "disputed"
    path = f"/invoices/{issued['invoice_id']}/disputes/{dispute_id}/resolution"
    assert client.post(path, json={"outcome": "recovered", "by": ADMIN}).status_code == 201
    assert ledger(client, contract_id)["start"][0] == "recovered"
    assert ledger(client, contract_id)["13_weeks"][0] == "invoiced"
    again = client.post(path, json={"outcome": "upheld", "by": ADMIN})
    assert again.status_code == 409
    assert "resolved already" in again.json()["detail"]
    shown = client.get(f"/invoices/{issued['invoice_id']}").json()["disputes"]
    assert shown == [
        {
            "dispute_id": dispute_id,
            "keys": [key],
            "reason": "the start was not documented",
            "outcome": "recovered",
            "note": "",
        }
    ]


@pytest.mark.parametrize(
    ("rules", "detail"),
    [
        ({"paying_kinds": ["ordinary", "internship"]}, "internship"),
        ({"default_prices_ore": None}, "default_prices_ore"),
    ],
)
def test_broken_rules_are_refused(client: TestClient, rules: dict[str, Any], detail: str) -> None:
    """Rules that pay an internship, or give no prices, are a 422."""
    r = client.post(
        "/contracts",
        json={
            "municipality": "165",
            "name": "x",
            **YEAR,
            "by": ADMIN,
            "rules": {"default_prices_ore": PRICES} | rules,
        },
    )
    assert r.status_code == 422, r.text
    assert detail in r.json()["detail"]


def test_unknown_contract_and_invoice_are_404(client: TestClient) -> None:
    """Problem+json with what was not found."""
    r = client.get(f"/contracts/{uuid.uuid4()}/ledger")
    assert r.status_code == 404 and "no outcome contract" in r.json()["detail"]
    r = client.get(f"/invoices/{uuid.uuid4()}")
    assert r.status_code == 404 and "no invoice" in r.json()["detail"]


def test_an_amendment_before_today_is_refused(client: TestClient) -> None:
    """Amendments never rewrite the past."""
    contract_id = contract(client)
    r = client.post(
        f"/contracts/{contract_id}/amendments",
        json={"effective_from": "2026-01-01", "rules": {"default_prices_ore": PRICES}, "by": ADMIN},
    )
    assert r.status_code == 422
    assert "today" in r.json()["detail"]


def test_an_invoice_once_found_is_not_searched_for_again(
    client: TestClient,
    registered: str,
    staff: str,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Invoices never change once issued: the access check and the route share one
    search of the log, and later reads none (an unknown id is still searched for)."""
    contract_id = contract(client)
    placement(client, registered, staff)
    issued = invoice(client, contract_id)
    searches: list[list[str]] = []
    real = ledger_module.relevant_events

    def counted(*args: Any, **kwargs: Any) -> Any:
        searches.append(list(kwargs.get("topics") or []))
        return real(*args, **kwargs)

    monkeypatch.setattr(ledger_module, "relevant_events", counted)
    again = client.get(f"/invoices/{issued['invoice_id']}")
    assert again.status_code == 200 and again.json()["lines"] == issued["lines"]
    assert searches == []
    assert client.get(f"/invoices/{uuid.uuid4()}").status_code == 404
    assert searches  # an unknown invoice is searched for, every time
