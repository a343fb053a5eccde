"""An auditor settles a dispute in a real browser, against the running service on
PostgreSQL: from the invoice page to a dispute of one line, an admin's resolution,
and the replayed invoice unchanged. Every page on the way passes axe."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Page, expect

from services.http.auth import Role
from tests.e2e.conftest import axe_violations, sign_in
from tests.support.running import Service

CVR = "13748136"


def _invoiced(service: Service) -> str:
    """A company of 165 with one placement under a contract, invoiced: the invoice id."""
    staff = service.consultant_with_company(CVR)
    contract_id = service.post(
        "/contracts",
        {
            "municipality": "165",
            "name": "Job med støtte",
            "period_from": "2026-01-01",
            "period_to": "2026-12-31",
            "rules": {"default_prices_ore": [1_000_00, 2_000_00, 3_000_00]},
        },
    )["id"]
    service.post(
        f"/companies/{CVR}/placements",
        {
            "by": staff,
            "candidate_id": service.candidate(staff),
            "kind": "ordinary",
            "hours_per_week": 30,
            "starts_on": "2026-01-05",
        },
    )
    invoice_id: str = service.post(
        f"/contracts/{contract_id}/invoices",
        {"period_from": "2026-01-01", "period_to": "2026-12-31"},
    )["id"]
    return invoice_id


def _replayed(service: Service, invoice_id: str) -> dict[str, Any]:
    r = httpx.get(
        f"{service.url}/invoices/{invoice_id}",
        headers={"Authorization": f"Bearer {service.token('revisor-1', '165', Role.AUDITOR)}"},
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_an_auditor_disputes_a_line_and_an_admin_resolves_it(page: Page, service: Service) -> None:
    invoice_id = _invoiced(service)
    issued = _replayed(service, invoice_id)
    sign_in(page, service, "revisor-1", "165", Role.AUDITOR)
    page.goto(f"{service.url}/app/invoices/{invoice_id}")
    expect(page.locator("#disputes-h ~ p").first).to_have_text("Ingen indsigelser.")
    checked = {"invoice": axe_violations(page)}
    form = page.locator("#form-dispute")
    form.get_by_role("checkbox").first.check()
    form.get_by_label("Begrundelse").fill("Ingen lønsedler for de første uger")
    form.get_by_role("button", name="Gør indsigelse").click()
    expect(page.get_by_role("status").filter(has_text="Gemt.")).to_have_count(1)
    disputes = page.locator("#disputes")
    expect(disputes).to_contain_text("Afgørelse: åben")
    expect(disputes).to_contain_text("Ingen lønsedler for de første uger")
    checked["disputed"] = axe_violations(page)
    page.get_by_role("link", name="Kontrakt: Regnskab").click()
    expect(page.locator("#ledger")).to_contain_text("Gjort indsigelse mod")

    page.context.clear_cookies()
    sign_in(page, service, "admin-1", "165", Role.ADMIN, heading=None)
    page.goto(f"{service.url}/app/invoices/{invoice_id}")
    expect(page.locator("#form-dispute")).to_have_count(0)  # admins resolve, never dispute
    page.get_by_label("Tilbagebetalt: pengene kommer tilbage").check()
    page.get_by_label("Notat").fill("Kreditnota sendt til leverandøren")
    page.get_by_role("button", name="Afgør indsigelsen").click()
    expect(page.get_by_role("status").filter(has_text="Gemt.")).to_have_count(1)
    expect(disputes).to_contain_text("Afgørelse: Tilbagebetalt")
    expect(disputes).to_contain_text("Notat: Kreditnota sendt til leverandøren")
    expect(page.get_by_role("button", name="Afgør indsigelsen")).to_have_count(0)
    checked["resolved"] = axe_violations(page)
    assert checked == {name: [] for name in checked}

    replayed = _replayed(service, invoice_id)
    assert [d["outcome"] for d in replayed["disputes"]] == ["recovered"]
    del issued["disputes"], replayed["disputes"]
    assert replayed == issued  # same lines, position, digest; the seal still agrees
    assert replayed["seal_agrees"] is True
