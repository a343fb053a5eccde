"""The effect statement page of a programme contract (TestClient, in-memory store)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.http.container import Services
from tests.support.site import CVR, Site, open_site, placement, programme_world


@pytest.fixture
def site(services: Services) -> Iterator[Site]:
    yield from open_site(services)


def test_an_auditor_reads_the_statement_in_danish_with_its_chart_and_table(site: Site) -> None:
    contract_id = programme_world(site)
    ledger = site.browser.get(f"/app/contracts/{contract_id}")
    assert ledger.status_code == 200 and f"/app/contracts/{contract_id}/effects" in ledger.text
    r = site.browser.get(f"/app/contracts/{contract_id}/effects")
    assert r.status_code == 200, r.text
    html = r.text
    assert "Effektopgørelse" in html
    assert "Betales til Den Sociale Kapitalfond (CVR 29403473)" in html
    assert "Målgruppe: Langtidsledige" in html
    assert f'<a href="/app/companies/{CVR}">{CVR}</a>' in html
    assert "01.02.2026\u2013<" in html  # the participation (an en dash), still going on
    assert '<svg role="img"' in html and "Varige job pr. virksomhed" in html
    # 1 job started, durable: the cost per durable job is the whole amount, 6.000,00 kr.
    assert "Pris pr. varigt job" in html and "6.000,00" in html
    assert "format=csv" in html
    assert r.headers["cache-control"].startswith("no-store")


def test_an_auditor_of_another_municipality_gets_404(site: Site) -> None:
    contract_id = programme_world(site, municipality="147")
    assert site.browser.get(f"/app/contracts/{contract_id}/effects").status_code == 404
    assert site.browser.get(f"/contracts/{contract_id}/effects").status_code == 404


def test_a_bad_date_is_a_clear_error(site: Site) -> None:
    contract_id = programme_world(site)
    r = site.browser.get(f"/app/contracts/{contract_id}/effects?from=1.2.2026")
    assert r.status_code == 422 and "from is not a date" in r.text


def test_the_comparison_page_lists_the_programmes_with_a_chart(site: Site) -> None:
    contract_id = programme_world(site)
    contracts = site.browser.get("/app/contracts")
    assert contracts.status_code == 200 and 'href="/app/effects"' in contracts.text
    r = site.browser.get("/app/effects")
    assert r.status_code == 200, r.text
    assert "Sammenligning af programmer" in r.text
    assert f'href="/app/contracts/{contract_id}/effects"' in r.text
    assert "Pris pr. varigt job (kr.)" in r.text and '<svg role="img"' in r.text
    assert "6.000,00" in r.text  # the one durable job's cost


def test_the_page_follows_what_changed_since_a_statement(site: Site) -> None:
    """The statement links to itself with `since` its position; a job started after
    that shows as a line of what changed, in Danish."""
    contract_id = programme_world(site)
    html = site.browser.get(f"/app/contracts/{contract_id}/effects").text
    follow = html.split('id="follow" href="')[1].split('"')[0].replace("&amp;", "&")
    assert "since=" in follow
    first = site.browser.get(follow)
    assert first.status_code == 200 and 'id="no-changes"' in first.text
    placement(site, "2026-03-02")
    r = site.browser.get(follow)
    assert r.status_code == 200, r.text
    assert "Ændret siden position" in r.text
    changes = r.text.split('id="changes"')[1].split("</table>")[0]
    assert "Job startet" in changes and "+1" in changes
    assert "Milepæl nået: " in changes
