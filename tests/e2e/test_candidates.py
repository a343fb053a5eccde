"""A consultant's job seekers in a real browser, against the running service on
PostgreSQL: registered by keyboard alone, found by CPR number, opened with a purpose,
referred from the company page by name (without JavaScript too), named in the overview;
the contact person's notice of a colleague's contact; a team lead's access log. Every
page passes axe-core with no WCAG 2.1 A/AA violation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from services.http.auth import Role
from tests.e2e.conftest import CVR, People, axe_violations, opened_page, sign_in
from tests.support.running import Service


def _opening(service: Service, by: str) -> None:
    service.post(
        f"/companies/{CVR}/openings",
        {"title": "Lager", "hours_per_week": 25, "placement_kinds": ["ordinary"], "by": by},
    )


@pytest.fixture
def no_script(browser: Browser) -> Iterator[Page]:
    yield from opened_page(browser, java_script_enabled=False)


def test_a_consultant_registers_finds_opens_and_refers_a_job_seeker(
    page: Page, service: Service, people: People
) -> None:
    checked: dict[str, list[str]] = {}
    _opening(service, people.gry)
    sign_in(page, service, people.gry, "165")
    page.get_by_role("link", name="Kandidater").click()
    checked["find"] = axe_violations(page)
    page.get_by_role("link", name="Registrér en kandidat").click()
    page.get_by_role("button", name="Registrér").click()  # nothing filled in: refused
    expect(page.locator("#form-register .field-error").first).to_be_visible()
    checked["register, refused"] = axe_violations(page)
    page.get_by_label("Navn").focus()  # then by keyboard alone
    page.keyboard.type("Karla Æblegård")
    page.keyboard.press("Tab")
    page.keyboard.type("010190-1234")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Kandidaten er registreret.")
    checked["candidate, closed"] = axe_violations(page)
    page.get_by_label("Formål").select_option(label="Kontakt med kandidaten")
    page.get_by_role("button", name="Åbn").click()
    expect(page.locator("#personal-data")).to_contain_text("010190-1234")
    checked["candidate, opened"] = axe_violations(page)

    page.goto(service.url + "/app/candidates")
    page.locator("#form-find_cpr").get_by_label("CPR-nummer").fill("0101901234")
    page.locator("#form-find_cpr").get_by_role("button", name="Søg").click()
    expect(page.locator("#hits")).to_contain_text("Karla Æblegård")
    checked["find, hits"] = axe_violations(page)

    page.goto(service.url + f"/app/companies/{CVR}")
    page.get_by_text("Henvis en kandidat").click()
    form = page.locator("#form-refer_candidate")
    form.get_by_label("Stilling").select_option(label="Lager")
    form.get_by_label("Kandidat (CPR-nummer eller navn)").fill("karla ablegaard")
    form.get_by_role("button", name="Gem").click()
    expect(page.locator("main")).to_contain_text("Karla Æblegård")  # the overview names her
    checked["company, referred"] = axe_violations(page)
    assert checked == {name: [] for name in checked}


def test_a_name_that_fits_two_asks_which_without_javascript(
    no_script: Page, service: Service, people: People
) -> None:
    """The form comes back with a choice of the two; the chosen one is referred."""
    _opening(service, people.gry)
    for name, cpr in (("Karla Æblegård", "010190-1234"), ("Karla Østerlund", "020290-1234")):
        service.post(
            "/candidates", {"municipality": "165", "name": name, "cpr": cpr, "by": people.gry}
        )
    page = no_script
    sign_in(page, service, people.gry, "165")
    page.goto(service.url + f"/app/companies/{CVR}")
    page.get_by_text("Henvis en kandidat").click()
    form = page.locator("#form-refer_candidate")
    form.get_by_label("Stilling").select_option(label="Lager")
    form.get_by_label("Kandidat (CPR-nummer eller navn)").fill("Karla")
    form.get_by_role("button", name="Gem").click()
    form = page.locator("#form-refer_candidate")
    expect(form).to_contain_text("Flere af dine kandidater passer på navnet")
    form.get_by_label("Kandidat", exact=True).select_option(label="Karla Østerlund")
    form.get_by_label("Stilling").select_option(label="Lager")
    form.get_by_role("button", name="Gem").click()
    expect(page.locator("main")).to_contain_text("Karla Østerlund")
    expect(page.locator("main")).not_to_contain_text("Karla Æblegård")


def test_the_contact_person_sees_a_colleagues_contact_and_a_lead_the_access_log(
    page: Page, service: Service, people: People
) -> None:
    checked: dict[str, list[str]] = {}
    service.post(
        f"/companies/{CVR}/contacts",
        {
            "by": people.holger,
            "channel": "phone",
            "occurred_at": "2026-11-20T10:30:00+00:00",
            "summary": "Talte om en praktikplads",
        },
    )
    candidate = service.candidate(people.gry)
    sign_in(page, service, people.gry, "165")
    page.goto(service.url + "/app/my-work")
    news = page.locator("main")
    expect(news).to_contain_text("Nyt på dine virksomheder")
    expect(news).to_contain_text("Holger Fjordvang")
    checked["my work, notices"] = axe_violations(page)
    page.get_by_role("link", name="Glans ApS").first.click()
    expect(page.locator("main")).to_contain_text("Nyt siden du sidst kiggede")
    checked["company, news"] = axe_violations(page)
    page.get_by_role("button", name="Log ud").click()
    sign_in(page, service, people.tove, "165", Role.TEAM_LEAD)
    page.goto(service.url + f"/app/candidates/{candidate}")
    expect(page.locator("#access-log")).to_be_visible()
    checked["candidate, lead"] = axe_violations(page)
    assert checked == {name: [] for name in checked}
