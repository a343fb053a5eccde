"""Signing in through a real OpenID Connect provider (oidc-provider on loopback): the
authorization-code flow with PKCE, state and nonce lands on "Mit arbejde"; a tampered
state, a replayed code and an ID token for another audience are refused; a person the
provider knows but casebook does not gets a Danish page; sign-out ends both sessions."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from fastapi.testclient import TestClient

from infra.settings import Settings
from services.app import create_app
from services.http.auth import Role, mint_token
from services.http.container import Services
from services.http.oidc import OidcError
from tests.conftest import TEST_JWT_SECRET
from tests.support.oidc_provider import Provider, running_provider, sign_in_at_provider
from tests.support.services import acting_client, open_services

BASE = "http://testserver"
CALLBACK = f"{BASE}/app/auth/callback"
OTHER_CALLBACK = "http://127.0.0.1:9/other/callback"
HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    clients = [
        {
            "client_id": "casebook",
            "redirect_uris": [CALLBACK],
            "post_logout_redirect_uris": [f"{BASE}/app/signed-out"],
        },
        {"client_id": "another-app", "redirect_uris": [OTHER_CALLBACK]},
    ]
    with running_provider(clients, {"role": "consultant", "municipalities": ["165"]}) as p:
        yield p


@pytest.fixture
def oidc_services(provider: Provider, tmp_path: Path) -> Iterator[Services]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'casebook.db'}",
        log_level="warning",
        jwt_secret=TEST_JWT_SECRET,
        oidc_issuer=provider.issuer,
        oidc_client_id="casebook",
        oidc_client_secret=provider.secret,
        oidc_scopes="openid casebook",
        oidc_staff_id_claim="staff_id",
    )
    services = open_services(settings)
    yield services
    services.close()


@pytest.fixture
def staff_id(oidc_services: Services) -> str:
    with acting_client(oidc_services) as admin:
        r = admin.post(
            "/staff", json={"name": "Gry Lyngbakke", "municipality": "165", "unit": "job_centre"}
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])


@pytest.fixture
def app(oidc_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(oidc_services.settings, oidc_services)) as client:
        yield client


def start(app: TestClient) -> str:
    """GET /app/login: the provider's authorization URL it redirects to."""
    r = app.get("/app/login", headers=HTML, follow_redirects=False)
    assert r.status_code in (302, 303), r.text
    return r.headers["location"]


def returned(app: TestClient, provider: Provider, login: str) -> str:
    """The callback URL the provider sends the browser back to, signed in as `login`."""
    with httpx.Client(follow_redirects=False) as browser:
        return sign_in_at_provider(browser, start(app), login, CALLBACK)


def test_login_redirects_to_the_provider_with_pkce_state_and_nonce(
    app: TestClient, provider: Provider
) -> None:
    url = start(app)
    assert url.startswith(f"{provider.issuer}/auth?")
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["client_id"] == ["casebook"]
    assert query["redirect_uri"] == [CALLBACK]
    page = app.get("/app", headers=HTML)  # a page's 401 shows only the button
    assert page.status_code == 401
    assert "Log ind med din organisations login" in page.text
    assert 'name="staff_id"' not in page.text and 'name="token"' not in page.text


def test_with_a_provider_a_pasted_token_or_picked_staff_member_is_refused(
    app: TestClient, oidc_services: Services, staff_id: str
) -> None:
    """Production sign-in is the provider's alone: POST /app/login starts no session,
    neither with a valid token nor as a picked staff member."""
    token = mint_token(
        oidc_services.settings, subject=staff_id, role=Role.CONSULTANT, municipalities=["165"]
    )
    for form in ({"token": token}, {"staff_id": staff_id}):
        r = app.post(
            "/app/login",
            data={**form, "next": "/app"},
            headers=HTML,
            follow_redirects=False,
        )
        assert r.status_code == 403, r.text
        assert "casebook_session" not in app.cookies
    assert "log ind med knappen herunder" in r.text
    assert 'name="token"' not in r.text


def test_signs_in_and_out_through_the_provider(
    app: TestClient, provider: Provider, staff_id: str
) -> None:
    back = returned(app, provider, staff_id)
    r = app.get(back.removeprefix(BASE), headers=HTML)
    assert r.status_code == 200, r.text
    assert "casebook_session" in app.cookies
    assert 'http-equiv="refresh"' in r.text
    work = app.get("/app", headers=HTML)
    assert work.status_code == 200
    assert "Mit arbejde" in work.text and "Gry Lyngbakke" in work.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', work.text)
    assert csrf
    out = app.post("/app/logout", data={"csrf_token": csrf[1]}, follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"].startswith(f"{provider.issuer}/session/end?")
    assert "casebook_session" not in app.cookies
    assert app.get("/app", headers=HTML).status_code == 401


def test_a_tampered_state_is_refused(app: TestClient, provider: Provider, staff_id: str) -> None:
    back = returned(app, provider, staff_id)
    tampered = re.sub(r"state=[^&]+", "state=not-the-one-we-sent", back)
    r = app.get(tampered.removeprefix(BASE), headers=HTML)
    assert r.status_code == 400
    assert "Log ind mislykkedes" in r.text
    assert "casebook_session" not in app.cookies


def test_a_replayed_code_is_refused(
    app: TestClient, provider: Provider, staff_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    oidc = app.app.state.verifier.oidc  # type: ignore[attr-defined]
    refusals: list[str] = []
    finish = oidc.finish

    def watched(*args: object) -> object:
        try:
            return finish(*args)
        except OidcError as error:
            refusals.append(str(error))
            raise

    monkeypatch.setattr(oidc, "finish", watched)
    back = returned(app, provider, staff_id)
    flow = app.cookies["casebook_oidc"]
    assert app.get(back.removeprefix(BASE), headers=HTML).status_code == 200
    app.cookies.delete("casebook_session")
    again = app.get(back.removeprefix(BASE), headers=HTML)  # the flow cookie is gone
    assert again.status_code == 400
    app.cookies.set("casebook_oidc", flow, domain="testserver.local", path="/app/auth")
    replayed = app.get(back.removeprefix(BASE), headers=HTML)  # the provider refuses it
    assert replayed.status_code == 400
    assert len(refusals) == 1 and "refused the code" in refusals[0], refusals
    assert "casebook_session" not in app.cookies


def test_someone_casebook_does_not_know_gets_a_danish_page(
    app: TestClient, provider: Provider
) -> None:
    back = returned(app, provider, str(uuid.uuid4()))
    r = app.get(back.removeprefix(BASE), headers=HTML)
    assert r.status_code == 403
    assert "Du er ikke oprettet i casebook" in r.text
    assert "casebook_session" not in app.cookies


def id_token_for(provider: Provider, client_id: str, redirect: str, login: str) -> str:
    """An ID token the provider issues to this client, signed in as `login`."""
    client = OAuth2Client(
        client_id,
        provider.secret,
        scope="openid casebook",
        redirect_uri=redirect,
        code_challenge_method="S256",
    )
    verifier = "v" * 64
    url, _ = client.create_authorization_url(
        f"{provider.issuer}/auth", code_verifier=verifier, nonce="n-0"
    )
    with httpx.Client(follow_redirects=False) as browser:
        back = sign_in_at_provider(browser, url, login, redirect)
    code = parse_qs(urlsplit(back).query)["code"][0]
    token = client.fetch_token(f"{provider.issuer}/token", code=code, code_verifier=verifier)
    return str(token["id_token"])


def test_an_id_token_for_another_audience_is_refused(
    app: TestClient, provider: Provider, oidc_services: Services, staff_id: str
) -> None:
    other = id_token_for(provider, "another-app", OTHER_CALLBACK, staff_id)
    verifier = app.app.state.verifier  # type: ignore[attr-defined]
    oidc = verifier.oidc
    assert verifier.needs_network(other)  # the event loop hands it to a worker thread
    with pytest.raises(OidcError, match=r"(?i)audience"):
        oidc.verify(other, audience="casebook")
    assert not verifier.needs_network(other)  # the provider's keys are at hand now
    caseload = f"/staff/{staff_id}/caseload"
    refused = app.get(caseload, headers={"authorization": f"Bearer {other}"})
    assert refused.status_code == 401
    ours = id_token_for(provider, "casebook", CALLBACK, staff_id)
    claims = oidc.verify(ours, audience="casebook")
    assert claims["staff_id"] == staff_id
    r = app.get(caseload, headers={"authorization": f"Bearer {ours}"})
    assert r.status_code == 200, r.text  # the API takes the provider's own tokens
