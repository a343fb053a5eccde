"""The notices in the web app: "Nyt på dine virksomheder" in "Mit arbejde", "Nyt siden du
sidst kiggede" on the company page, and opening the company marks its notices read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.http.auth import Role, mint_token
from services.http.container import Services
from tests.support.api import NOW
from tests.support.site import CVR, Site, open_site

pytestmark = pytest.mark.stores  # rerun on SQLite and PostgreSQL by `make integration`
SECOND_CVR = "10150817"


@pytest.fixture
def site(services: Services) -> Iterator[Site]:
    yield from open_site(services)


def _sign_in(site: Site, staff_id: str) -> None:
    """Sign in with a pasted token (picking oneself is the embedded mode's only)."""
    token = mint_token(
        site.services.settings, subject=staff_id, role=Role.CONSULTANT, municipalities=["165"]
    )
    r = site.browser.post(
        "/app/login", data={"token": token, "next": "/app"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text


def _contact_by(site: Site, staff_id: str, cvr: str = CVR, summary: str = "Om praktik") -> None:
    r = site.api.post(
        f"/companies/{cvr}/contacts",
        json={
            "by": staff_id,
            "channel": "visit",
            "occurred_at": NOW.isoformat(),
            "summary": summary,
            "topics": [],
        },
    )
    assert r.status_code == 201, r.text
    assert site.services.projections is not None  # the pages read without a position
    assert site.services.projections.wait_for(r.json()["position"], 5)


def _news(html: str, heading: str) -> str:
    """The section under `heading` (empty if the page has none)."""
    if heading not in html:
        return ""
    return html.split(heading, 1)[1].split("</section>", 1)[0]


def _my_work(site: Site) -> str:
    r = site.browser.get("/app/my-work")
    assert r.status_code == 200, r.text
    return r.text


def test_my_work_shows_what_a_colleague_did_at_my_company(site: Site) -> None:
    """Who (with their unit), what, when and a link to the company."""
    _contact_by(site, site.colleague)
    _sign_in(site, site.consultant)
    news = _news(_my_work(site), "Nyt på dine virksomheder")
    assert f'<a href="/app/companies/{CVR}">Glans ApS</a>' in news
    assert "Holger Fjordvang, Jobcenter" in news
    assert "Kontakt: Besøg" in news
    assert f'datetime="{NOW.isoformat()}"' in news


def test_my_own_contact_is_no_news_to_me(site: Site) -> None:
    """The contact person's own work is not listed."""
    _contact_by(site, site.consultant)
    _sign_in(site, site.consultant)
    news = _news(_my_work(site), "Nyt på dine virksomheder")
    assert "Intet nyt" in news
    assert "<table" not in news


def test_opening_the_company_shows_the_news_once_and_marks_it_read(site: Site) -> None:
    """The company page shows "Nyt siden du sidst kiggede" with the colleague's contact;
    after that the notice is read: neither "Mit arbejde" nor the page shows it again,
    until a colleague does something new."""
    _contact_by(site, site.colleague)
    _sign_in(site, site.consultant)
    first = _news(site.company_page(), "Nyt siden du sidst kiggede")
    assert "Holger Fjordvang, Jobcenter" in first
    assert "Nyt siden du sidst kiggede" not in site.company_page()
    assert "Glans ApS" not in _news(_my_work(site), "Nyt på dine virksomheder")
    _contact_by(site, site.colleague, summary="Igen")
    assert "Glans ApS" in _news(_my_work(site), "Nyt på dine virksomheder")


def test_opening_one_company_leaves_the_others_news_unread(site: Site) -> None:
    """Marking read is per company."""
    r = site.api.post(
        "/companies",
        json={
            "cvr": SECOND_CVR,
            "name": "Æblegård Frugt ApS",
            "municipality": "165",
            "by": site.consultant,
        },
    )
    assert r.status_code == 201, r.text
    r = site.api.post(
        f"/companies/{SECOND_CVR}/contact-person",
        json={"staff_id": site.consultant, "reason": "first", "by": site.consultant},
    )
    assert r.status_code == 200, r.text
    _contact_by(site, site.colleague)
    _contact_by(site, site.colleague, SECOND_CVR)
    _sign_in(site, site.consultant)
    site.company_page()
    news = _news(_my_work(site), "Nyt på dine virksomheder")
    assert "Æblegård Frugt ApS" in news
    assert "Glans ApS" not in news


def test_a_colleague_opening_my_company_marks_nothing_read_for_me(site: Site) -> None:
    """The read-state is each person's own."""
    _contact_by(site, site.colleague)
    _sign_in(site, site.colleague)
    assert "Nyt siden du sidst kiggede" not in site.company_page()
    _sign_in(site, site.consultant)
    assert "Glans ApS" in _news(_my_work(site), "Nyt på dine virksomheder")
