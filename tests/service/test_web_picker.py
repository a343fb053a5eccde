"""The company page's candidate field ("Kandidat (CPR-nummer eller navn)") and the job
seekers named by name in its overview and timeline, through TestClient on the
in-memory store: no name is opened to draw the page's forms; a typed name or CPR
number picks the candidate; every name a page shows is logged as "overblik"; an
erased job seeker is "slettet"; an auditor sees no names."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from services.http.container import Services
from tests.support.site import (
    CVR,
    Site,
    form_fields,
    open_site,
    opening,
    register_candidate,
    sign_in_auditor,
)

PLACEMENT = {"kind": "ordinary", "hours_per_week": "30", "starts_on": "2026-01-05"}


@pytest.fixture
def site(services: Services) -> Iterator[Site]:
    yield from open_site(services)


def _purposes(site: Site, cid: str) -> list[str]:
    return [a.purpose for a in site.services.vault.accesses(uuid.UUID(cid))]


def _refer(site: Site, **data: str) -> tuple[int, str]:
    fields = form_fields(site.company_page(CVR), "refer_candidate")
    r = site.browser.post(
        f"/app/companies/{CVR}/refer_candidate",
        data={**fields, "opening_id": opening(site), **data},
        follow_redirects=False,
    )
    return r.status_code, r.text


def test_the_page_opens_no_name_to_draw_its_forms(site: Site) -> None:
    """My candidates are not listed on the company page, and nothing is logged for it."""
    site.sign_in(site.consultant)
    cid = register_candidate(site, "Karla Æblegård")
    page = site.company_page(CVR)
    assert "Karla" not in page
    assert 'name="candidate_search"' in page and 'name="candidate_cpr"' not in page
    assert _purposes(site, cid) == []


def test_a_typed_name_in_any_spelling_refers_my_candidate(site: Site) -> None:
    """One candidate of mine fits "aeblegard": referred, the hit's read logged, and the
    overview and the timeline then name her (logged as "overblik")."""
    site.sign_in(site.consultant)
    cid = register_candidate(site, "Karla Æblegård")
    status, text = _refer(site, candidate_search="karla aeblegard")
    assert status == 303, text
    referrals = site.api.get(f"/companies/{CVR}").json()["referrals_in_flight"]
    assert [x["candidate_id"] for x in referrals] == [cid]
    assert _purposes(site, cid) == ["søgning på navn"]
    page = site.company_page(CVR)
    overview, timeline = page.split('id="timeline"', 1)
    assert "Karla Æblegård" in overview.split('id="form-', 1)[0]
    assert "Kandidat: Karla Æblegård" in timeline
    assert _purposes(site, cid) == ["søgning på navn", "overblik"]  # one per page view


def test_a_name_that_fits_several_asks_which(site: Site) -> None:
    """Two of mine are called Karla: the form comes back with a choice of the two, and
    the chosen one is referred; a name fitting none is refused in Danish."""
    site.sign_in(site.consultant)
    first = register_candidate(site, "Karla Æblegård")
    second = register_candidate(site, "Karla Østergaard", cpr="020290-1234")
    status, text = _refer(site, candidate_search="Karla")
    assert status == 422
    assert "Flere af dine kandidater passer på navnet: vælg én." in text
    block = text.split('id="form-refer_candidate"', 1)[1].split("</form>", 1)[0]
    assert f'value="{first}"' in block and f'value="{second}"' in block
    assert "Karla Østergaard" in block
    status, text = _refer(site, candidate_id=second)
    assert status == 303, text
    referrals = site.api.get(f"/companies/{CVR}").json()["referrals_in_flight"]
    assert [x["candidate_id"] for x in referrals] == [second]
    status, text = _refer(site, candidate_search="Sofus")
    assert status == 422
    assert "Ingen af dine kandidater i virksomhedens kommune hedder sådan." in text


def test_a_colleagues_candidate_is_not_found_by_name_nor_chosen_by_id(site: Site) -> None:
    """Names are searched among my own candidates only; a forged choice is refused."""
    site.sign_in(site.colleague)
    theirs = register_candidate(site, "Karla Æblegård")
    site.browser.cookies.clear()
    site.sign_in(site.consultant)
    status, text = _refer(site, candidate_search="Karla")
    assert status == 422
    status, text = _refer(site, candidate_id=theirs)
    assert status == 422
    assert "Skriv kandidatens CPR-nummer eller navn." in text
    assert site.api.get(f"/companies/{CVR}").json()["referrals_in_flight"] == []


def test_the_company_page_picks_the_candidate_by_cpr_number(site: Site) -> None:
    """A CPR number of the company's municipality starts the placement (a colleague's
    candidate too); the lookup is logged; an unknown number is refused and not shown."""
    site.sign_in(site.colleague)
    cid = register_candidate(site, "Karla Æblegård")
    site.browser.cookies.clear()
    site.sign_in(site.consultant)
    fields = form_fields(site.company_page(CVR), "start_placement")
    r = site.browser.post(
        f"/app/companies/{CVR}/start_placement",
        data={**fields, **PLACEMENT, "candidate_search": "020290-1234"},
    )
    assert r.status_code == 422
    assert "Ingen kandidat i virksomhedens kommune har dette CPR-nummer." in r.text
    assert "020290-1234" not in r.text  # the number is not shown again
    r = site.browser.post(f"/app/companies/{CVR}/start_placement", data={**fields, **PLACEMENT})
    assert r.status_code == 422
    assert "Skriv kandidatens CPR-nummer eller navn." in r.text
    r = site.browser.post(
        f"/app/companies/{CVR}/start_placement",
        data={**fields, **PLACEMENT, "candidate_search": "0101901234"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    placed = site.api.get(f"/companies/{CVR}").json()["in_placement"]
    assert [x["candidate_id"] for x in placed] == [cid]
    assert _purposes(site, cid) == ["Start et forløb"]


def test_an_erased_job_seeker_is_slettet_and_an_auditor_sees_no_names(site: Site) -> None:
    site.sign_in(site.consultant)
    cid = register_candidate(site, "Karla Æblegård")
    assert _refer(site, candidate_search="0101901234")[0] == 303
    logged = len(_purposes(site, cid))
    site.browser.cookies.clear()
    sign_in_auditor(site)
    page = site.company_page(CVR)
    assert "Karla" not in page and cid[:8] in page
    assert len(_purposes(site, cid)) == logged  # the auditor's view logged nothing
    site.browser.cookies.clear()
    site.sign_in(site.lead)
    fields = form_fields(site.browser.get(f"/app/candidates/{cid}").text, "erase")
    r = site.browser.post(
        f"/app/candidates/{cid}/erase", data={**fields, "confirm": "yes"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    page = site.company_page(CVR)
    assert "Karla" not in page
    overview = page.split('id="form-', 1)[0]
    assert "slettet" in overview and "Kandidat: slettet" in page
