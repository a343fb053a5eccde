"""An auditor reads a programme's effect statement and the comparison in a real
browser, against the running service on PostgreSQL; both pages pass axe, and the
statement replayed at its position through the API has the figures the page showed."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from services.http.auth import Role
from tests.e2e.conftest import axe_violations, sign_in
from tests.support.running import Service
from tests.support.site import PROGRAMME

CVR = "13748136"
SHOTS = os.environ.get("CASEBOOK_SCREENSHOTS")  # a folder: save the pages' screenshots


def _programme(service: Service) -> str:
    staff = service.consultant_with_company(CVR)
    contract_id: str = service.post("/contracts", PROGRAMME)["id"]
    service.post(f"/contracts/{contract_id}/participants", {"cvr": CVR, "from": "2026-02-01"})
    for kind, day in (("ordinary", "2026-02-02"), ("internship", "2026-03-02")):
        service.post(
            f"/companies/{CVR}/placements",
            {
                "by": staff,
                "candidate_id": service.candidate(staff),
                "kind": kind,
                "hours_per_week": 30,
                "starts_on": day,
            },
        )
    return contract_id


def test_an_auditor_reads_the_effect_statement_and_the_comparison(
    page: Page, service: Service
) -> None:
    contract_id = _programme(service)
    sign_in(page, service, "revisor-1", "165", Role.AUDITOR, heading=None)
    page.goto(f"{service.url}/app/contracts/{contract_id}")
    page.get_by_role("link", name="Effektopgørelse").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Effektopgørelse")
    expect(page.locator("#payee")).to_contain_text("Den Sociale Kapitalfond (CVR 29403473)")
    row = page.locator("#effects tbody tr").first
    expect(row).to_contain_text(CVR)
    expect(page.locator("#cost-per-durable")).to_have_text("6.000,00 kr.")
    checked = {"statement": axe_violations(page)}
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "effects.png"), full_page=True)
    pinned = page.locator("#pinned").inner_text()

    page.goto(f"{service.url}/app/effects")
    expect(page.locator("#comparison")).to_contain_text("Vækst med Social Bundlinje")
    checked["comparison"] = axe_violations(page)
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / "comparison.png"), full_page=True)
    assert checked == {name: [] for name in checked}

    position = int(pinned.split("logposition ")[1].split()[0])
    token = service.token("revisor-1", "165", Role.AUDITOR)
    r = httpx.get(
        f"{service.url}/contracts/{contract_id}/effects",
        params={"position": position},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["totals"]["cost_per_durable_job_ore"] == 6_000_00
    [company] = body["companies"]
    assert (company["placements_started"], company["internships"]) == (1, 1)
