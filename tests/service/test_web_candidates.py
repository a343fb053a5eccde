"""The candidate pages through TestClient on the in-memory store: register, find by CPR
number and by name (posted), open with a purpose (logged), the team lead's access log
and erasure with its legal hold."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from services.http.container import Services
from tests.support.site import CVR, Site, form_fields, open_site, opening, register_candidate


@pytest.fixture
def site(services: Services) -> Iterator[Site]:
    yield from open_site(services)


def _csrf(site: Site, path: str = "/app/candidates") -> str:
    r = site.browser.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    found = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert found is not None
    return found.group(1)


def test_a_consultant_registers_a_candidate_and_finds_them_by_cpr(site: Site) -> None:
    """Registered from the form, the candidate is found by CPR number (any spelling)."""
    site.sign_in(site.consultant)
    cid = register_candidate(site, "Karla Æblegård")
    page = site.browser.get(f"/app/candidates/{cid}?saved=register")
    assert "Kandidaten er registreret." in page.text
    assert "Karla" not in page.text  # not opened yet: no purpose given
    r = site.browser.post("/app/candidates", data={"csrf_token": _csrf(site), "cpr": "0101901234"})
    assert r.status_code == 200, r.text
    assert f'href="/app/candidates/{cid}"' in r.text
    assert "Karla Æblegård" in r.text
    assert r.headers["cache-control"] == "no-store"


def test_a_malformed_cpr_number_is_refused_in_danish(site: Site) -> None:
    site.sign_in(site.consultant)
    r = site.browser.post("/app/candidates", data={"csrf_token": _csrf(site), "cpr": "12345"})
    assert r.status_code == 422
    assert "Et CPR-nummer har ti cifre" in r.text
    assert "12345" not in r.text


def test_a_search_by_name_finds_only_my_own_candidates(site: Site) -> None:
    """Folded (case, æ/ø/å): a colleague's candidate of the same name is not found."""
    site.sign_in(site.colleague)
    register_candidate(site, "Karla Æblegård", "020290-1234")
    site.browser.cookies.clear()
    site.sign_in(site.consultant)
    mine = register_candidate(site, "Karla Æblegård")
    r = site.browser.post(
        "/app/candidates", data={"csrf_token": _csrf(site), "query": "karla aeblegaard"}
    )
    assert r.status_code == 200, r.text
    assert re.findall(r'href="/app/candidates/([0-9a-f-]{36})"', r.text) == [mine]
    r = site.browser.post("/app/candidates", data={"csrf_token": _csrf(site), "query": "Nobody"})
    assert "Ingen kandidat fundet." in r.text


def test_opening_a_candidate_needs_a_purpose_and_is_logged(site: Site) -> None:
    """The data shows only after a posted purpose; the team lead sees the access log."""
    site.sign_in(site.consultant)
    cid = register_candidate(site, "Karla Æblegård")
    path = f"/app/candidates/{cid}"
    token = _csrf(site, path)
    r = site.browser.post(path, data={"csrf_token": token, "purpose": ""})
    assert r.status_code == 422
    r = site.browser.post(path, data={"csrf_token": token, "purpose": "referral"})
    assert r.status_code == 200, r.text
    assert "010190-1234" in r.text and "Karla Æblegård" in r.text
    assert r.headers["cache-control"] == "no-store"
    site.browser.cookies.clear()
    site.sign_in(site.lead)
    r = site.browser.get(path)
    log = r.text.split('id="access-log"', 1)[1].split("</section>", 1)[0]
    assert "Henvisning til en virksomhed" in log
    assert site.consultant in log


def test_a_team_lead_erases_a_candidate_after_confirming(site: Site) -> None:
    """Unconfirmed: refused. Confirmed: gone, the CPR number finds nothing."""
    site.sign_in(site.consultant)
    cid = register_candidate(site, "Karla Æblegård")
    site.browser.cookies.clear()
    site.sign_in(site.lead)
    path = f"/app/candidates/{cid}"
    page = site.browser.get(path)
    assert "retligt tilbageholdt" in page.text  # the legal-hold rule, in Danish
    fields = form_fields(page.text.replace('id="form-erase"', 'id="form-erase"'), "erase")
    r = site.browser.post(f"{path}/erase", data=fields)
    assert r.status_code == 422
    assert "Bekræft sletningen" in r.text
    r = site.browser.post(
        f"{path}/erase", data={**fields, "confirm": "yes"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    page = site.browser.get(r.headers["location"])
    assert "personoplysninger er slettet" in page.text
    r = site.browser.post("/app/candidates", data={"csrf_token": _csrf(site), "cpr": "010190-1234"})
    assert "Ingen kandidat fundet." in r.text


def test_a_consultant_may_not_erase(site: Site) -> None:
    site.sign_in(site.consultant)
    cid = register_candidate(site, "Karla Æblegård")
    page = site.browser.get(f"/app/candidates/{cid}")
    assert 'id="form-erase"' not in page.text
    r = site.browser.post(
        f"/app/candidates/{cid}/erase", data={"csrf_token": _csrf(site), "confirm": "yes"}
    )
    assert r.status_code == 403


def test_markers_stay_out_of_the_log_the_logs_and_urls(site: Site) -> None:
    """A candidate registered with marker strings, found, opened and referred through the
    pages: no event, log line or URL holds them; every page is `no-store`."""
    name, notes = f"NAVN{uuid.uuid4().hex}", f"NOTE{uuid.uuid4().hex}"
    urls: list[str] = []
    with capture_logs() as logs:
        site.sign_in(site.consultant)
        cid = register_candidate(site, name, notes=notes)
        token = _csrf(site)
        for data in ({"cpr": "010190-1234"}, {"query": name}):
            r = site.browser.post("/app/candidates", data={"csrf_token": token, **data})
            assert name in r.text
            assert r.headers["cache-control"] == "no-store"
            urls.append(str(r.url))
        r = site.browser.post(
            f"/app/candidates/{cid}", data={"csrf_token": token, "purpose": "contact"}
        )
        assert notes in r.text and r.headers["cache-control"] == "no-store"
        fields = form_fields(site.company_page(CVR), "refer_candidate")
        r = site.browser.post(
            f"/app/companies/{CVR}/refer_candidate",
            data={**fields, "opening_id": opening(site), "candidate_search": name},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        urls.append(r.headers["location"])
        page = site.company_page(CVR)
        assert name in page  # the overview names the referred job seeker
        urls += re.findall(r'(?:href|action)="([^"]+)"', page)
    stored = "".join(
        n.state.decode("utf-8", "replace")
        for n in site.services.app.recorder.select_notifications(start=1, limit=10_000)
    )
    for marker in (name, notes, "0101901234", "010190-1234"):
        assert marker not in stored
        assert marker not in repr(logs)
        assert all(marker not in url for url in urls)
