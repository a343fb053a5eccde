"""The web app's pages through TestClient on the in-memory store: sign-in, the cookie
and its CSRF token, the company page and its forms, the work lists, the dashboard."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from services.http.auth import Role, mint_token
from services.http.container import Services
from services.http.session import SESSION_COOKIE
from services.web.i18n import CATALOGUE, amount, day, moment, number, ore
from tests.support.site import CVR, OTHER_CVR, Site, auditor_world, form_fields, open_site


@pytest.fixture
def site(services: Services) -> Iterator[Site]:
    yield from open_site(services)


def test_a_page_without_a_session_answers_401_with_the_sign_in_form(site: Site) -> None:
    """No cookie: the page's 401 is the sign-in form, which remembers where to go."""
    r = site.browser.get(f"/app/companies/{CVR}")
    assert r.status_code == 401
    assert 'action="/app/login"' in r.text
    assert f'name="next" value="/app/companies/{CVR}"' in r.text
    assert "Gry Lyngbakke" in r.text  # embedded mode: pick a staff member


def test_a_pasted_token_signs_in_and_a_bad_one_is_refused(site: Site) -> None:
    token = mint_token(
        site.services.settings,
        subject=site.consultant,
        role=Role.CONSULTANT,
        municipalities=["165"],
    )
    r = site.browser.post("/app/login", data={"token": "garbage", "next": "/app"})
    assert r.status_code == 401
    assert "Nøglen blev ikke godtaget" in r.text
    r = site.browser.post(
        "/app/login",
        data={"token": f"Bearer {token}", "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/app"  # never an open redirect
    assert site.browser.get("/app").status_code == 200


def test_the_cookie_session_obeys_the_api_rules(site: Site) -> None:
    """Signed in by cookie, the API answers as for the bearer token: another
    municipality's company is not found, the own one is."""
    site.sign_in(site.consultant)
    assert site.browser.get(f"/companies/{CVR}").status_code == 200
    r = site.browser.get(f"/app/companies/{OTHER_CVR}")
    assert r.status_code == 404
    assert "Ikke fundet" in r.text
    # The other municipality's code is nowhere on the page (as a word: the page's
    # random request id may hold the digits).
    assert re.search(r"\b147\b", r.text) is None
    assert site.browser.get("/app/team").status_code == 403


def test_search_finds_by_name_and_answers_a_fragment_for_the_script(site: Site) -> None:
    site.sign_in(site.consultant)
    r = site.browser.get("/app", params={"q": "glans"})
    assert r.status_code == 200
    assert f'href="/app/companies/{CVR}"' in r.text
    assert "Nordlys" not in r.text  # another municipality
    r = site.browser.get("/app", params={"q": "DK 1374 8136"}, headers={"X-Partial": "results"})
    assert r.text.lstrip().startswith("<table")
    assert "Glans ApS" in r.text


def test_a_logged_contact_is_in_the_timeline_at_once_and_only_once(site: Site) -> None:
    """The form's Idempotency-Key makes a double press one event; the redirect reads
    at the command's position."""
    site.sign_in(site.consultant)
    fields = {
        **form_fields(site.company_page(), "log_contact"),
        "channel": "phone",
        "occurred_at": "2026-11-20T10:30",
        "summary": "Ringede om praktikplads",
        "topics": "praktik, opfølgning",
    }
    first = site.browser.post(
        f"/app/companies/{CVR}/log_contact", data=fields, follow_redirects=False
    )
    second = site.browser.post(
        f"/app/companies/{CVR}/log_contact", data=fields, follow_redirects=False
    )
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert "min_position=" in first.headers["location"]
    page = site.browser.get(first.headers["location"]).text
    timeline = page.split('id="timeline-list"', 1)[1]
    assert timeline.count("Ringede om praktikplads") == 1
    assert "20.11.2026 10.30" in timeline  # Danish time, Danish format


def test_validation_errors_are_shown_next_to_their_field(site: Site) -> None:
    site.sign_in(site.consultant)
    fields = {**form_fields(site.company_page(), "log_contact"), "channel": "fax", "summary": ""}
    r = site.browser.post(f"/app/companies/{CVR}/log_contact", data=fields)
    assert r.status_code == 422
    errors = dict(re.findall(r'class="field-error" id="log_contact-(\w+)-error">([^<]+)', r.text))
    assert errors == {
        "channel": "Vælg en af mulighederne.",
        "occurred_at": "Skal udfyldes.",
        "summary": "Skal udfyldes.",
    }
    assert 'aria-invalid="true" aria-describedby="log_contact-channel-error"' in r.text


def test_closed_forms_are_sent_as_noscript_and_a_refused_one_open(site: Site) -> None:
    """The short forms wait in <noscript> (built by the script when opened, shown as
    they are without it); a form sent back with errors is open and built at once."""
    site.sign_in(site.consultant)
    page = site.company_page()
    held = re.findall(
        r'<details class="action" id="form-(\w+)" data-later>\s*<summary>'
        r"[^<]+</summary>\s*<noscript><form ",
        page,
    )
    assert len(held) == 9 and "log_contact" in held
    fields = {**form_fields(page, "log_contact"), "channel": "fax", "summary": ""}
    refused = site.browser.post(f"/app/companies/{CVR}/log_contact", data=fields).text
    assert re.search(r'id="form-log_contact" open>\s*<summary>[^<]+</summary>\s*<form ', refused)
    assert refused.count("<noscript>") == 8


def test_a_broken_rule_is_shown_on_the_form_with_the_api_detail(site: Site) -> None:
    site.sign_in(site.consultant)
    fields = {
        **form_fields(site.company_page(), "log_contact"),
        "channel": "phone",
        "occurred_at": "2099-01-01T10:00",
        "summary": "from the future",
    }
    r = site.browser.post(f"/app/companies/{CVR}/log_contact", data=fields)
    assert r.status_code == 422
    assert re.search(r'class="error" role="alert">Formularen blev ikke gemt: .*future', r.text)


def test_a_form_post_without_the_csrf_token_is_refused(site: Site) -> None:
    site.sign_in(site.consultant)
    fields = {"channel": "phone", "occurred_at": "2026-11-20T10:30", "summary": "x"}
    r = site.browser.post(f"/app/companies/{CVR}/log_contact", data=fields)
    assert r.status_code == 403
    assert "CSRF" in r.text
    token = form_fields(site.company_page(), "log_contact")["csrf_token"]
    r = site.browser.post(
        f"/app/companies/{CVR}/log_contact",
        data={**fields, "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403


def test_handing_over_moves_the_company_between_caseloads(site: Site) -> None:
    site.sign_in(site.consultant)
    assert "Glans ApS" in site.browser.get("/app/my-work").text
    fields = {
        **form_fields(site.company_page(), "hand_over"),
        "staff_id": site.colleague,
        "handover_note": "Ring til Kim om mandagen",
    }
    r = site.browser.post(f"/app/companies/{CVR}/hand_over", data=fields)
    assert r.status_code == 200
    assert "Holger Fjordvang" in r.text.split('id="contact-person"', 1)[1][:200]
    assert "Ring til Kim om mandagen" in r.text
    assert "Glans ApS" not in site.browser.get("/app/my-work").text
    site.sign_in(site.colleague)
    assert "Glans ApS" in site.browser.get("/app/my-work").text


def test_the_company_page_gives_the_contact_persons_and_the_actors_unit(site: Site) -> None:
    """Beside the contact person's name stands their unit, in Danish; so beside each
    timeline entry's actor."""
    site.sign_in(site.consultant)
    html = site.company_page()
    assert "Gry Lyngbakke</strong>, Jobcenter" in html.split('id="contact-person"', 1)[1][:200]
    timeline = html.split('id="timeline-h"', 1)[1]
    assert "Gry Lyngbakke, Jobcenter" in timeline


def test_a_team_lead_sees_caseloads_and_reassigns_from_the_queue(site: Site) -> None:
    assert (
        site.api.post(
            f"/staff/{site.consultant}/leave", json={"left_on": "2026-11-01", "reason": "new job"}
        ).status_code
        == 200
    )
    site.sign_in(site.lead)
    page = site.browser.get("/app/team").text
    queue = page.split('id="queue-h"', 1)[1].split("</section>", 1)[0]
    assert "Glans ApS" in queue
    hidden = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', queue))
    r = site.browser.post(
        f"/app/companies/{CVR}/hand_over", data={**hidden, "staff_id": site.colleague}
    )
    assert r.status_code == 200
    queue = r.text.split('id="queue-h"', 1)[1].split("</section>", 1)[0]
    assert "Glans ApS" not in queue
    assert "Holger Fjordvang (1)" in r.text


def test_the_dashboard_has_charts_with_their_numbers_as_tables(site: Site) -> None:
    site.sign_in(site.consultant)
    r = site.browser.get("/app/dashboard")
    assert r.status_code == 200
    assert r.text.count('<svg role="img"') >= 2
    assert "<caption>Kontakter pr. uge</caption>" in r.text
    english = site.browser.get("/app/dashboard", params={"lang": "en"})
    assert "<caption>Contacts per week</caption>" in english.text
    assert site.browser.cookies.get("casebook_lang") == "en"


def test_danish_formats() -> None:
    assert day("2026-11-27") == "27.11.2026"
    assert moment("2026-11-27T09:05:00+00:00") == "27.11.2026 10.05"
    assert amount(1234.5) == "1.234,50 kr."
    assert number(1234567) == "1.234.567"


def test_the_catalogue_has_both_languages_for_every_text() -> None:
    assert all(len(texts) == 2 and all(texts) for texts in CATALOGUE.values())
    assert SESSION_COOKIE == "casebook_session"


def test_the_timeline_pages_by_cursor_for_the_scrolling_script(site: Site) -> None:
    """20 entries on the page as opened, 50 a page after; the "more" link's page (as the
    script asks for it) holds the rest and no further link. Filters stay on the link."""
    for n in range(55):
        assert (
            site.api.post(
                f"/companies/{CVR}/contacts",
                json={
                    "by": site.consultant,
                    "channel": "email",
                    "summary": f"mail {n}",
                    "occurred_at": "2026-11-02T09:00:00+01:00",
                },
            ).status_code
            == 201
        )
    site.sign_in(site.consultant)
    page = site.company_page(query="?kind=contact_logged")
    assert page.split('id="timeline-list"', 1)[1].split("</ol>", 1)[0].count("<li") == 20
    more = re.search(r'href="([^"]+)" data-more="timeline-list"', page)
    assert more is not None
    link = more.group(1).replace("&amp;", "&")
    assert "kind=contact_logged" in link and "cursor=" in link
    rest = site.browser.get(link, headers={"X-Partial": "timeline"})
    assert rest.status_code == 200
    assert rest.text.count("<li") == 35
    assert "mail 0" in rest.text and "data-more" not in rest.text


def test_assets_are_fingerprinted_and_cached_for_a_year(site: Site) -> None:
    """The page links its CSS and script by content hash, served immutable for a year;
    the bare URL is revalidated."""
    site.sign_in(site.consultant)
    page = site.company_page()
    for name in ("app.css", "app.js"):
        url = re.search(rf'"(/app/static/{re.escape(name)}\?v=[0-9a-f]{{16}})"', page)
        assert url is not None, name
        r = site.browser.get(url.group(1))
        assert r.status_code == 200
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert site.browser.get(f"/app/static/{name}").headers["cache-control"] == "no-cache"
    stale = site.browser.get("/app/static/app.css?v=0000000000000000")
    assert stale.headers["cache-control"] == "no-cache"


def test_ore_amounts_are_exact_danish_kroner() -> None:
    assert ore(123450) == "1.234,50 kr."
    assert ore(-2000000) == "-20.000,00 kr."
    assert ore(1) == "0,01 kr."


def test_an_auditor_reads_a_ledger_and_an_invoice_with_its_evidence(site: Site) -> None:
    contract_id, invoice_id = auditor_world(site)
    listed = site.browser.get("/app/contracts")
    assert listed.status_code == 200
    assert f'href="/app/contracts/{contract_id}"' in listed.text
    assert 'href="/app/contracts" aria-current="page"' in listed.text
    ledger = site.browser.get(f"/app/contracts/{contract_id}")
    assert ledger.status_code == 200, ledger.text
    rows = ledger.text.split('id="ledger"', 1)[1].split("</tbody>", 1)[0]
    assert rows.count("<tr>") == 4  # the head and three milestones
    assert "1.234,50 kr." in rows and "13 uger" in rows and "<td>Faktureret</td>" in rows
    assert f'href="/app/invoices/{invoice_id}"' in rows
    assert re.search(r"<code>[0-9a-f-]{36}:\d+</code>", rows)  # the proving events
    page = site.browser.get(f"/app/invoices/{invoice_id}")
    assert page.status_code == 200, page.text
    assert "Forseglingen har samme digest" in page.text
    api = site.api.get(f"/invoices/{invoice_id}").json()
    assert f'<code id="digest">{api["digest"]}</code>' in page.text
    assert f'<dd id="position">{api["position"]}</dd>' in page.text
    assert "Opkrævning" in page.text and "6.234,50 kr." in page.text
    for proof in api["lines"][0]["proof"]:
        assert f"<code>{proof}</code>" in page.text
    english = site.browser.get(f"/app/invoices/{invoice_id}", params={"lang": "en"})
    assert "The seal holds the same digest" in english.text


def test_the_ledger_as_known_before_the_invoice(site: Site) -> None:
    contract_id, _ = auditor_world(site)
    before = site.browser.get(
        f"/app/contracts/{contract_id}", params={"known_at": "2000-01-01T00:00"}
    )
    assert before.status_code == 404  # the contract was not recorded yet
    now = site.browser.get(f"/app/contracts/{contract_id}", params={"known_at": "2099-01-01T00:00"})
    assert now.status_code == 200 and "01.01.2099" in now.text
    bad = site.browser.get(f"/app/contracts/{contract_id}", params={"known_at": "soon"})
    assert bad.status_code == 422 and "Traceback" not in bad.text


def test_the_export_streams_only_the_auditors_municipalities(site: Site) -> None:
    contract_id, _ = auditor_world(site)
    r = site.browser.get("/app/export")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in r.headers["content-disposition"]
    records = [json.loads(line) for line in r.text.splitlines()]
    assert records and list(records[0]) == [
        "position",
        "originator_id",
        "originator_version",
        "topic",
        "recorded_at",
        "state",
    ]
    assert not any("Nordlys" in rec["state"] for rec in records)  # municipality 147
    assert any("Glans" in rec["state"] for rec in records)
    assert any(rec["originator_id"] == contract_id for rec in records)  # its invoice too
    assert [rec["position"] for rec in records] == sorted(rec["position"] for rec in records)
    one = site.browser.get("/app/export", params={"company": CVR})
    streams = {json.loads(line)["originator_id"] for line in one.text.splitlines()}
    assert len(streams) == 1
    assert site.browser.get("/app/export", params={"company": OTHER_CVR}).status_code == 404


def test_a_consultant_has_no_auditor_pages(site: Site) -> None:
    site.sign_in(site.consultant)
    assert site.browser.get("/app/contracts").status_code == 403
    assert 'href="/app/contracts"' not in site.browser.get("/app").text


def test_another_municipality_s_auditor_gets_not_found(site: Site) -> None:
    contract_id, invoice_id = auditor_world(site)
    token = mint_token(
        site.services.settings, subject="revisor", role=Role.AUDITOR, municipalities=["147"]
    )
    site.browser.post("/app/login", data={"token": token, "next": "/app"}, follow_redirects=False)
    assert "Vækst" not in site.browser.get("/app/contracts").text
    for path in (f"/app/contracts/{contract_id}", f"/app/invoices/{invoice_id}"):
        r = site.browser.get(path)
        assert r.status_code == 404 and "Ikke fundet" in r.text
