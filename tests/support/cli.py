"""Running the casebook command line in a subprocess against a test's own stores."""

from __future__ import annotations

import sys
import uuid

from fastapi.testclient import TestClient

from infra.settings import Settings
from services.http.container import Services
from tests.support.services import acting_client

CASEBOOK = [sys.executable, "-m", "services.cli"]


ADMIN = str(uuid.uuid4())


YEAR = {"period_from": "2026-01-01", "period_to": "2026-12-31"}


def company_client(settings: Settings, services: Services) -> tuple[TestClient, str]:
    """A client of the app, a staff member and company 13748136 of municipality 165."""
    client = acting_client(services)
    staff: str = client.post(
        "/staff", json={"name": "Gry", "municipality": "165", "unit": "job_centre"}
    ).json()["id"]
    client.post(
        "/companies",
        json={"cvr": "13748136", "name": "Glans ApS", "municipality": "165", "by": staff},
    )
    return client, staff
