"""A person signs in through the organisation's identity provider in Chromium: the
real service sends the browser to a real OpenID provider (oidc-provider on loopback),
its login and consent pages send it back, "Mit arbejde" greets the staff member, and
signing out ends the provider's session too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect
from pydantic import SecretStr

from infra.settings import Settings
from tests.e2e.conftest import axe_violations
from tests.support.oidc_provider import SECRET, running_provider
from tests.support.running import Service, free_port, running_service


@pytest.fixture
def signed_in_service(postgres_settings: Settings, tmp_path: Path) -> Iterator[Service]:
    """The service with an identity provider; the provider knows the service's address."""
    provider_port = free_port()
    settings = postgres_settings.model_copy(
        update={
            "oidc_issuer": f"http://127.0.0.1:{provider_port}",
            "oidc_client_id": "casebook",
            "oidc_client_secret": SecretStr(SECRET),
            "oidc_scopes": "openid casebook",
            "oidc_staff_id_claim": "staff_id",
        }
    )
    with running_service(settings, tmp_path) as service:
        client = {
            "client_id": "casebook",
            "redirect_uris": [f"{service.url}/app/auth/callback"],
            "post_logout_redirect_uris": [f"{service.url}/app/signed-out"],
        }
        with running_provider([client], port=provider_port):
            yield service


def loopback_only(route: Route) -> None:
    """The provider's pages ask for web fonts: no request leaves the machine."""
    if route.request.url.startswith("http://127.0.0.1:"):
        route.continue_()
    else:
        route.abort()


def test_signs_in_through_the_provider_and_out(page: Page, signed_in_service: Service) -> None:
    service = signed_in_service
    joined = service.post(
        "/staff", {"name": "Gry Lyngbakke", "municipality": "165", "unit": "job_centre"}
    )
    staff_id = str(joined["id"])
    page.context.route("**/*", loopback_only)

    page.goto(service.url + "/app")
    expect(page.get_by_label("Organisationens adgangsnøgle (JWT)")).to_have_count(0)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Log ind med din organisations login").click()
    page.locator("input[name=login]").fill(staff_id)
    page.locator("input[name=password]").fill("any")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("link", name="Mit arbejde")).to_be_visible()
    expect(page.get_by_text("Gry Lyngbakke").first).to_be_visible()
    assert page.url.startswith(service.url + "/app")

    page.get_by_role("button", name="Log ud").click()
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page.get_by_text("Du er logget ud.")).to_be_visible()
    assert axe_violations(page) == []
    page.goto(service.url + "/app")
    expect(page.get_by_role("button", name="Log ind med din organisations login")).to_be_visible()
