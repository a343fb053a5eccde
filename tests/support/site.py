"""A small site for the web app's tests: staff, two companies, a browser client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi.testclient import TestClient

from services.app import create_app
from services.http.auth import Role, mint_token
from services.http.container import Services
from tests.support.services import ActingClient, acting_client, new_candidate

CVR, OTHER_CVR = "13748136", "24256790"
HTML = {"Accept": "text/html"}


@dataclass
class Site:
    services: Services
    api: ActingClient
    browser: TestClient
    consultant: str
    colleague: str
    lead: str

    def sign_in(self, staff_id: str) -> None:
        r = self.browser.post(
            "/app/login", data={"staff_id": staff_id, "next": "/app"}, follow_redirects=False
        )
        assert r.status_code == 303, r.text
        assert "httponly" in r.headers["set-cookie"].lower()
        assert "samesite=strict" in r.headers["set-cookie"].lower()

    def company_page(self, cvr: str = CVR, query: str = "") -> str:
        r = self.browser.get(f"/app/companies/{cvr}{query}")
        assert r.status_code == 200, r.text
        return r.text


def staff_member(api: ActingClient, name: str, code: str, role: str = "consultant") -> str:
    r = api.post(
        "/staff", json={"name": name, "municipality": code, "unit": "job_centre", "role": role}
    )
    assert r.status_code == 201, r.text
    staff_id: str = r.json()["id"]
    return staff_id


def open_site(services: Services) -> Iterator[Site]:
    """Three staff of 165 and one of 147, a company in each, a browser (no session)."""
    api = acting_client(services)
    me = staff_member(api, "Gry Lyngbakke", "165")
    colleague = staff_member(api, "Holger Fjordvang", "165")
    lead = staff_member(api, "Tove Engdahl", "165", "team_lead")
    other = staff_member(api, "Ask Havgaard", "147")
    for cvr, name, code, by in (
        (CVR, "Glans ApS", "165", me),
        (OTHER_CVR, "Nordlys VVS ApS", "147", other),
    ):
        assert (
            api.post(
                "/companies", json={"cvr": cvr, "name": name, "municipality": code, "by": by}
            ).status_code
            == 201
        )
        assert (
            api.post(
                f"/companies/{cvr}/contact-person",
                json={"staff_id": by, "reason": "first", "by": by},
            ).status_code
            == 200
        )
    browser = TestClient(create_app(services.settings, services), headers=HTML)
    yield Site(services, api, browser, me, colleague, lead)


def form_fields(html: str, name: str) -> dict[str, str]:
    """The hidden fields (CSRF token, Idempotency-Key) of one rendered form."""
    block = html.split(f'id="form-{name}"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', block))


def placement(site: Site, starts_on: str, kind: str = "ordinary") -> None:
    """An ordinary job of 30 hours at CVR from `starts_on`, for a new candidate."""
    r = site.api.post(
        f"/companies/{CVR}/placements",
        json={
            "by": site.consultant,
            "candidate_id": new_candidate(site.api, CVR, site.consultant),
            "kind": kind,
            "hours_per_week": 30,
            "starts_on": starts_on,
        },
    )
    assert r.status_code == 201, r.text


def sign_in_auditor(site: Site, municipality: str = "165") -> None:
    """Sign the browser in as an auditor of `municipality` (a pasted token)."""
    token = mint_token(
        site.services.settings, subject="revisor", role=Role.AUDITOR, municipalities=[municipality]
    )
    r = site.browser.post(
        "/app/login", data={"token": token, "next": "/app"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text


def auditor_world(site: Site) -> tuple[str, str]:
    """A contract of 165 with one placement and an invoice; the auditor signed in."""
    r = site.api.post(
        "/contracts",
        json={
            "municipality": "165",
            "name": "Vækst med Social Bundlinje",
            "period_from": "2026-01-01",
            "period_to": "2026-12-31",
            "rules": {"default_prices_ore": [1_234_50, 2_000_00, 3_000_00]},
        },
    )
    assert r.status_code == 201, r.text
    contract_id = r.json()["id"]
    placement(site, "2026-01-05")
    r = site.api.post(
        f"/contracts/{contract_id}/invoices",
        json={"period_from": "2026-01-01", "period_to": "2026-12-31"},
    )
    assert r.status_code == 201, r.text
    sign_in_auditor(site)
    return contract_id, r.json()["id"]


PROGRAMME = {
    "municipality": "165",
    "name": "Vækst med Social Bundlinje",
    "period_from": "2026-01-01",
    "period_to": "2026-12-31",
    "rules": {"default_prices_ore": [1_000_00, 2_000_00, 3_000_00]},
    "counterparty": {"name": "Den Sociale Kapitalfond", "cvr": "29403473"},
    "target_group": "long_term_unemployed",
    "scope": "programme",
}
"""A programme contract of 165 for 2026, paying a fund."""


def programme_world(site: Site, municipality: str = "165") -> str:
    """PROGRAMME with CVR taking part from 1 February 2026 and one ordinary job started
    after; an auditor of `municipality` signed in."""
    r = site.api.post("/contracts", json=PROGRAMME)
    assert r.status_code == 201, r.text
    contract_id: str = r.json()["id"]
    r = site.api.post(
        f"/contracts/{contract_id}/participants", json={"cvr": CVR, "from": "2026-02-01"}
    )
    assert r.status_code == 201, r.text
    placement(site, "2026-02-02")
    sign_in_auditor(site, municipality)
    return contract_id


def register_candidate(site: Site, name: str, cpr: str = "010190-1234", notes: str = "") -> str:
    """A candidate registered from the web form by whoever is signed in; their id."""
    r = site.browser.get("/app/candidates/new")
    fields = form_fields(r.text, "register")
    r = site.browser.post(
        "/app/candidates/new",
        data={**fields, "name": name, "cpr": cpr, "phone": "+45 12345678", "notes": notes},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    found = re.fullmatch(r"/app/candidates/([0-9a-f-]{36})\?saved=register", r.headers["location"])
    assert found is not None, r.headers["location"]
    return found.group(1)


def opening(site: Site) -> str:
    """An opening at CVR; its id."""
    r = site.api.post(
        f"/companies/{CVR}/openings",
        json={
            "by": site.consultant,
            "title": "Lager",
            "hours_per_week": 25,
            "placement_kinds": ["ordinary"],
        },
    )
    assert r.status_code == 201, r.text
    opening_id: str = r.json()["id"]
    return opening_id
