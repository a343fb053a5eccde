"""End-to-end fixtures: the real service (`casebook serve` and `casebook project` on
PostgreSQL) and Debian's Chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from infra.settings import Settings
from services.http.auth import Role
from tests.support.running import Service, running_service

CHROMIUM = os.environ.get("CASEBOOK_TEST_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CVR = "13748136"


def axe_violations(page: Page) -> list[str]:
    """WCAG 2.1 A and AA violations axe-core finds on the page (id: where)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => v.id + ': ' + v.nodes.map("
        "n => n.target.join(' ')).join(', ')))",
        WCAG_21_AA,
    )
    return [str(v) for v in found]


@pytest.fixture
def service(postgres_settings: Settings, tmp_path: Path) -> Iterator[Service]:
    """`casebook serve` and `casebook project` on a fresh PostgreSQL schema."""
    with running_service(postgres_settings, tmp_path) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; missing, it is an error that says how to install it.
    Module-scoped: Playwright's sync API keeps an event loop running in this thread
    while it is open, which would break later tests that call asyncio.run."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"no Chromium at {CHROMIUM}: `make test` installs Debian's "
            "chromium (apt-get install -y chromium)"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


def opened_page(browser: Browser, **options: Any) -> Iterator[Page]:
    """A page in a Danish browser context of its own (with these options), closed after."""
    context = browser.new_context(locale="da-DK", **options)
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # CSP bypassed only so that the tests can inject axe-core into the pages.
    yield from opened_page(browser, bypass_csp=True)


def sign_in(
    page: Page,
    service: Service,
    staff_id: str,
    municipality: str,
    role: Role = Role.CONSULTANT,
    heading: str | None = "Find en virksomhed",
) -> None:
    """Sign in on the sign-in page by pasting a token of the organisation's; the first
    page's heading, when given, shows it worked."""
    page.goto(service.url + "/app")
    page.get_by_label("Organisationens adgangsnøgle (JWT)").fill(
        service.token(staff_id, municipality, role)
    )
    page.get_by_role("button", name="Log ind").last.click()
    if heading is not None:
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)


@dataclass
class People:
    gry: str  # consultant of 165, Glans ApS's contact person
    holger: str  # consultant of 165
    ask: str  # consultant of 147
    tove: str  # team lead of 165


@pytest.fixture
def people(service: Service) -> People:
    def join(name: str, code: str) -> str:
        return str(
            service.post("/staff", {"name": name, "municipality": code, "unit": "job_centre"})["id"]
        )

    found = People(
        join("Gry Lyngbakke", "165"),
        join("Holger Fjordvang", "165"),
        join("Ask Havgaard", "147"),
        "",
    )
    found.tove = str(
        service.post(
            "/staff",
            {
                "name": "Tove Engdahl",
                "municipality": "165",
                "unit": "job_centre",
                "role": "team_lead",
            },
        )["id"]
    )
    service.post(
        "/companies", {"cvr": CVR, "name": "Glans ApS", "municipality": "165", "by": found.gry}
    )
    service.post(
        f"/companies/{CVR}/contact-person",
        {"staff_id": found.gry, "reason": "first", "by": found.gry},
    )
    return found
