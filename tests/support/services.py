"""Running services for a test, and a client that signs each request as the body's staff member."""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx
from fastapi.testclient import TestClient

from infra.settings import Settings
from services.app import create_app
from services.bootstrap import build_services, migrate
from services.http.container import Services
from tests.support.tokens import acting_token


def open_services(settings: Settings) -> Services:
    """Migrated, running services for these settings, with in-process projections."""
    migrate(settings)
    return build_services(settings, run_projections=True)


class ActingClient(TestClient):
    """A client that signs each request, unless the test sends its own Authorization:
    as the staff member named by the body's `by` (a team lead of every municipality),
    or as an admin for staff changes. Access rules have tests of their own."""

    settings: Settings

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", None) or {})
        if not any(k.lower() == "authorization" for k in headers):
            body = kwargs.get("json")
            if body is None and isinstance(kwargs.get("content"), str | bytes):
                try:
                    body = json.loads(kwargs["content"])
                except ValueError:
                    body = None
            token = acting_token(self.settings, method, httpx.URL(str(url)).path, body)
            headers["Authorization"] = f"Bearer {token}"
        return super().request(method, url, headers=headers, **kwargs)


def acting_client(services: Services) -> ActingClient:
    """An ActingClient of a new app on these services."""
    client = ActingClient(create_app(services.settings, services))
    client.settings = services.settings
    return client


def new_candidate(api: TestClient, cvr: str, by: str) -> str:
    """A candidate registered through the API, by staff member `by`, in the municipality
    of the company with this CVR (a referral or a placement must name one); their id.
    `api` signs requests as the body's `by` (an ActingClient)."""
    r = api.get(f"/companies/{cvr}/state")  # from the log: no read model to wait for
    assert r.status_code == 200, r.text
    cpr = f"0101{secrets.randbelow(100):02d}{secrets.randbelow(10_000):04d}"
    body = {"municipality": r.json()["municipality"], "name": "Testperson", "cpr": cpr, "by": by}
    r = api.post("/candidates", json=body)
    assert r.status_code == 201, r.text
    candidate_id: str = r.json()["id"]
    return candidate_id
