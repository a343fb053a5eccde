"""The web app against a hostile browser or site: the security headers on every
rendered response, no inline script, no caching of pages, a new session value at
every sign-in, and a CSRF refusal on every route that changes something."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.app import create_app
from services.http.access import SAFE_METHODS, api_routes
from services.http.container import Services
from services.http.headers import PAGE_POLICY
from services.http.session import CSRF_FIELD, SESSION_COOKIE
from services.web.forms import ACTIONS
from tests.support.site import CVR, HTML, OTHER_CVR, Site, auditor_world, form_fields, open_site

# The page the team lead may see, and two error pages (404 as a page, 401 the form).
PAGES = ("/app", "/app/my-work", "/app/team", "/app/dashboard", f"/app/companies/{CVR}")


@pytest.fixture
def site(services: Services) -> Iterator[Site]:
    yield from open_site(services)


class _Inline(HTMLParser):
    """What a strict CSP would block, found in a page: inline script, style elements
    or attributes, event handler attributes and javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}=javascript:")


def _inline_parts(html: str) -> list[str]:
    parser = _Inline()
    parser.feed(html)
    return parser.found


def _rendered(site: Site) -> dict[str, Any]:
    """Every page a signed-in team lead gets, and two error pages."""
    site.sign_in(site.lead)
    shown = {path: site.browser.get(path) for path in PAGES}
    shown["404 page"] = site.browser.get(f"/app/companies/{OTHER_CVR}")
    signed_out = TestClient(create_app(site.services.settings, site.services), headers=HTML)
    shown["401 page"] = signed_out.get("/app/my-work")
    shown["sign-in page"] = signed_out.get("/app/login")
    return shown


def test_pages_have_a_strict_content_security_policy_they_obey(site: Site) -> None:
    """Each page and error page says: only our own script, style and images, no
    plugins, no <base>, no framing; and no page holds what that policy would block."""
    for name, r in _rendered(site).items():
        assert r.headers["content-type"].startswith("text/html"), name
        policy = r.headers["content-security-policy"]
        assert policy == PAGE_POLICY, name
        for directive in (
            "script-src 'self'",
            "style-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ):
            assert directive in policy.split("; "), (name, directive)
        assert "unsafe" not in policy
        assert _inline_parts(r.text) == [], name


def test_every_response_carries_the_security_headers(site: Site) -> None:
    """Pages, error pages, problem+json answers, the middleware's own refusals,
    assets and redirects: nosniff, a Referrer-Policy, no framing, no HSTS over HTTP."""
    answers = _rendered(site)
    answers["problem 404"] = site.browser.get(
        f"/companies/{OTHER_CVR}", headers={"Accept": "application/json"}
    )
    answers["problem 401"] = TestClient(site.browser.app).get("/companies")
    answers["431 refusal"] = site.browser.get("/app", headers={"X-Big": "x" * 20_000})
    answers["asset"] = site.browser.get("/app/static/app.css")
    answers["redirect"] = site.browser.post(
        "/app/login", data={"staff_id": site.consultant}, follow_redirects=False
    )
    answers["docs"] = site.browser.get("/docs")
    statuses = {name: r.status_code for name, r in answers.items()}
    assert statuses["problem 401"] == 401 and statuses["431 refusal"] == 431, statuses
    assert statuses["redirect"] == 303 and statuses["404 page"] == 404, statuses
    for name, r in answers.items():
        assert r.headers["x-content-type-options"] == "nosniff", name
        assert r.headers["referrer-policy"] == "same-origin", name
        assert r.headers["x-frame-options"] == "DENY", name
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], name
        assert "strict-transport-security" not in r.headers, name


def test_hsts_is_sent_only_when_the_request_came_over_https(site: Site) -> None:
    """Over HTTPS every answer has HSTS for a year and the session cookie is Secure."""
    browser = TestClient(
        create_app(site.services.settings, site.services),
        base_url="https://testserver",
        headers=HTML,
    )
    signed_in = browser.post(
        "/app/login", data={"staff_id": site.consultant}, follow_redirects=False
    )
    assert signed_in.status_code == 303
    assert "; secure" in signed_in.headers["set-cookie"].lower()
    for r in (signed_in, browser.get("/app"), browser.get("/companies/00000000")):
        assert r.headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in site.browser.get("/app/login").headers


def test_pages_with_personal_data_are_never_stored(site: Site) -> None:
    """Every page and error page says `Cache-Control: no-store`."""
    for name, r in _rendered(site).items():
        assert r.headers["cache-control"] == "no-store", name


def _session(response: Any) -> str:
    cookie = response.cookies.get(SESSION_COOKIE)
    assert cookie, response.headers.get("set-cookie")
    return str(cookie)


def test_signing_in_gives_a_new_session_value_never_a_planted_one(site: Site) -> None:
    """A session value set in the browser beforehand (by an attacker) is replaced at
    sign-in and is no session at all; two sign-ins in the same second give two values."""
    planted = "planted-by-someone-else"
    site.browser.cookies.set(SESSION_COOKIE, planted)
    assert site.browser.get("/app").status_code == 401
    values = []
    for _ in range(2):
        r = site.browser.post(
            "/app/login", data={"staff_id": site.consultant}, follow_redirects=False
        )
        assert r.status_code == 303
        values.append(_session(r))
    assert planted not in values
    assert values[0] != values[1]
    assert site.browser.get("/app").status_code == 200


def test_signing_out_needs_the_csrf_token_and_drops_the_cookie(site: Site) -> None:
    """Another site cannot sign a user out; our own page's form does, and the
    cookie is gone."""
    site.sign_in(site.consultant)
    r = site.browser.post("/app/logout", follow_redirects=False)
    assert r.status_code == 403
    assert "CSRF" in r.text
    assert site.browser.get("/app").status_code == 200
    page = site.browser.get("/app").text
    token = page.split(f'name="{CSRF_FIELD}" value="', 1)[1].split('"', 1)[0]
    r = site.browser.post("/app/logout", data={CSRF_FIELD: token}, follow_redirects=False)
    assert r.status_code == 303
    assert 'casebook_session=""' in r.headers["set-cookie"]
    assert "max-age=0" in r.headers["set-cookie"].lower()
    assert site.browser.get("/app").status_code == 401


def test_every_unsafe_web_route_refuses_a_request_without_the_csrf_token(site: Site) -> None:
    """Walking the route table: each form post under /app with the session cookie but
    no CSRF token is 403 and changes nothing; sign-in from another site is 403."""
    site.sign_in(site.lead)
    app = site.browser.app
    assert isinstance(app, FastAPI)
    before = site.api.get(f"/companies/{CVR}/timeline").json()
    fields = form_fields(site.browser.get(f"/app/companies/{CVR}").text, "log_contact")
    walked, invoice_routes = [], list[str]()
    r = site.api.post(
        "/candidates",
        json={"municipality": "165", "name": "Kim Test", "cpr": "010190-1234", "by": site.lead},
    )
    assert r.status_code == 201, r.text
    candidate = r.json()["id"]
    for route in api_routes(app):
        if not route.path.startswith("/app") or route.method in SAFE_METHODS:
            continue
        if route.path == "/app/companies/{cvr}/{action}":
            paths = [f"/app/companies/{CVR}/{action}" for action in ACTIONS]
        elif route.path == "/app/logout":
            paths = ["/app/logout"]
        elif route.path == "/app/login":
            r = site.browser.post(
                "/app/login",
                data={"staff_id": site.lead},
                headers={"Origin": "https://evil.example"},
                follow_redirects=False,
            )
            assert r.status_code == 403, r.text
            walked.append(route.path)
            continue
        elif route.path.startswith("/app/invoices/"):
            invoice_routes.append(route.path)  # walked below, as an auditor
            continue
        elif route.path.startswith("/app/candidates"):
            paths = [route.path.replace("{candidate_id}", candidate)]
        else:
            raise AssertionError(f"{route.method} {route.path}: add it to this walk")
        for path in paths:
            bare = {k: v for k, v in fields.items() if k != CSRF_FIELD}
            for sent in (bare, {**bare, CSRF_FIELD: "0" * 40}):
                r = site.browser.request(route.method, path, data=sent, follow_redirects=False)
                assert r.status_code == 403, (path, r.text)
                assert "CSRF" in r.text, path
            walked.append(path)
    assert len(walked) == len(ACTIONS) + 6  # ... and the candidates' four forms
    assert site.api.get(f"/companies/{CVR}/timeline").json() == before
    assert site.browser.get("/app").status_code == 200  # still signed in
    _, invoice_id = auditor_world(site)  # the auditor's session now
    dispute_id = uuid.uuid4()
    for template in invoice_routes:
        path = template.format(invoice_id=invoice_id, dispute_id=dispute_id)
        for sent in ({"reason": "x", "outcome": "upheld"}, {CSRF_FIELD: "0" * 40}):
            r = site.browser.post(path, data=sent, follow_redirects=False)
            assert r.status_code == 403 and "CSRF" in r.text, (path, r.text)
    assert len(invoice_routes) == 2
    assert site.api.get(f"/invoices/{invoice_id}").json()["disputes"] == []
