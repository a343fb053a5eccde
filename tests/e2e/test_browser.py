"""A consultant's morning in a real browser, against the running service on PostgreSQL."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from services.http.auth import Role
from tests.e2e.conftest import CVR, People, axe_violations, sign_in
from tests.support.running import Service


def test_sign_in_search_log_a_contact_and_hand_over(
    page: Page, service: Service, people: People
) -> None:
    """Search as you type, log a contact and see it in the timeline, hand over and see
    the company leave one caseload and enter the other."""
    sign_in(page, service, people.gry, "165")
    page.get_by_label("CVR-nummer eller navn").press_sequentially("glan", delay=30)
    page.get_by_role("link", name="Glans ApS").click()  # no submit: results as you type
    expect(page.get_by_role("heading", level=1)).to_contain_text("Glans ApS")

    page.get_by_text("Log en kontakt").click()
    form = page.locator("#form-log_contact")
    form.get_by_label("Kanal").select_option("phone")
    form.get_by_label("Tidspunkt").fill("2026-11-20T10:30")
    form.get_by_label("Resumé").fill("Ringede om en praktikplads i lageret")
    form.get_by_role("button", name="Gem").click()
    timeline = page.locator("#timeline-list")
    expect(timeline).to_contain_text("Ringede om en praktikplads i lageret")
    expect(timeline).to_contain_text("20.11.2026 10.30")

    page.goto(service.url + "/app/my-work")
    expect(page.locator("main")).to_contain_text("Glans ApS")
    page.goto(service.url + f"/app/companies/{CVR}")
    page.get_by_text("Overdrag virksomheden").click()
    form = page.locator("#form-hand_over")
    form.get_by_label("Ny kontaktperson").select_option(label="Holger Fjordvang")
    form.get_by_label("Note til den nye kontaktperson").fill("Ring til Kim om mandagen")
    form.get_by_role("button", name="Gem").click()
    expect(page.locator("#contact-person")).to_contain_text("Holger Fjordvang")

    page.goto(service.url + "/app/my-work")
    expect(page.locator("main")).not_to_contain_text("Glans ApS")
    page.get_by_role("button", name="Log ud").click()
    sign_in(page, service, people.holger, "165")
    page.goto(service.url + "/app/my-work")
    expect(page.locator("main")).to_contain_text("Glans ApS")


def test_a_consultant_of_another_municipality_gets_not_found(
    page: Page, service: Service, people: People
) -> None:
    sign_in(page, service, people.ask, "147")
    response = page.goto(service.url + f"/app/companies/{CVR}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Ikke fundet")
    page.goto(service.url + "/app?q=Glans")
    expect(page.locator("#results")).to_contain_text("Ingen virksomheder fundet.")


def test_a_form_works_by_keyboard_alone(page: Page, service: Service, people: People) -> None:
    """Tab to the form, open it with Enter, fill it and save it with the keyboard."""
    sign_in(page, service, people.gry, "165")
    page.goto(service.url + f"/app/companies/{CVR}")
    page.locator("#form-log_contact summary").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.type("Tel")  # selects "Telefon"
    for _ in range(12):  # past the time's parts (it is now, already filled in)
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "summary":
            break
    page.keyboard.type("Kort snak ved disken")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#timeline-list")).to_contain_text("Kort snak ved disken")


def test_every_page_passes_axe_with_zero_wcag_21_aa_violations(
    page: Page, service: Service, people: People
) -> None:
    """Sign-in, search, company page (with a refused form open), my work, team,
    dashboard (both languages) and the not-found page."""
    page.goto(service.url + "/app")
    checked = {"sign-in": axe_violations(page)}
    sign_in(page, service, people.tove, "165", Role.TEAM_LEAD)
    page.goto(service.url + "/app?q=glans")
    checked["search"] = axe_violations(page)
    page.goto(service.url + f"/app/companies/{CVR}")
    page.get_by_text("Opret en stilling").click()
    page.locator("#form-register_opening").get_by_role("button", name="Gem").click()
    expect(page.locator("#form-register_opening .field-error").first).to_be_visible()
    checked["company, refused form"] = axe_violations(page)
    for name, path in (
        ("my work", "/app/my-work"),
        ("team", "/app/team"),
        ("dashboard", "/app/dashboard"),
        ("dashboard en", "/app/dashboard?lang=en"),
        ("not found", "/app/companies/24256790"),
    ):
        page.goto(service.url + path)
        checked[name] = axe_violations(page)
    assert checked == {name: [] for name in checked}


def test_the_accessibility_check_does_find_violations(page: Page) -> None:
    """The audit above could fail: an image without a text and an unlabelled field."""
    page.set_content(
        '<html lang="da"><title>x</title><main><img src="x.png"><input type="text"></main></html>'
    )
    found = " ".join(axe_violations(page))
    assert "image-alt" in found
    assert "label" in found


def test_an_auditor_opens_an_invoice_and_its_evidence(
    page: Page, service: Service, people: People
) -> None:
    """Contract, placement and invoice through the API; the auditor finds the contract
    in the menu, reads its ledger, opens the invoice: its lines, the events behind
    them and the seal's verdict on the pinned digest. Every page passes axe."""
    contract_id = str(
        service.post(
            "/contracts",
            {
                "municipality": "165",
                "name": "Vækst med Social Bundlinje",
                "period_from": "2026-01-01",
                "period_to": "2026-12-31",
                "rules": {"default_prices_ore": [1_234_50, 2_000_00, 3_000_00]},
            },
        )["id"]
    )
    service.post(
        f"/companies/{CVR}/placements",
        {
            "by": people.gry,
            "candidate_id": service.candidate(people.gry),
            "kind": "ordinary",
            "hours_per_week": 30,
            "starts_on": "2026-01-05",
        },
    )
    invoice_id = str(
        service.post(
            f"/contracts/{contract_id}/invoices",
            {"period_from": "2026-01-01", "period_to": "2026-12-31"},
        )["id"]
    )
    sign_in(page, service, "revisor-1", "165", Role.AUDITOR)
    page.get_by_role("link", name="Kontrakter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Resultatkontrakter")
    checked = {"contracts": axe_violations(page)}
    page.get_by_role("link", name="Vækst med Social Bundlinje").click()
    ledger = page.locator("#ledger")
    expect(ledger).to_contain_text("1.234,50 kr.")
    expect(ledger).to_contain_text("Faktureret")
    checked["ledger"] = axe_violations(page)
    page.get_by_label("Som kendt på tidspunktet").fill("2099-01-01T00:00:00")
    page.get_by_role("button", name="Vis").click()
    expect(page.locator("#as-of")).to_contain_text("01.01.2099")
    page.get_by_role("link", name=invoice_id[:8]).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Faktura {invoice_id[:8]}")
    expect(page.locator("#seal")).to_contain_text("Forseglingen har samme digest")
    lines = page.locator("#lines")
    expect(lines).to_contain_text("Opkrævning")
    expect(lines).to_contain_text("6.234,50 kr.")
    expect(lines).to_contain_text(f"{CVR}")
    expect(lines.locator("code").filter(has_text=":")).not_to_have_count(0)
    checked["invoice"] = axe_violations(page)
    page.goto(service.url + "/app/contracts")
    with page.expect_download() as download:
        page.get_by_role("link", name="Hent loggen for mine kommuner (JSONL)").click()
    assert download.value.suggested_filename.endswith(".jsonl")
    page.goto(service.url + f"/app/invoices/{invoice_id}?lang=en")
    expect(page.locator("#seal")).to_contain_text("The seal holds the same digest")
    checked["invoice en"] = axe_violations(page)
    assert checked == {name: [] for name in checked}
