"""Finding a candidate by CPR number through the keyed blind index (POST, the number in
the body), within the caller's municipalities, logged as a read; gone with erasure.

Marked `stores`: `make integration` runs them again on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from infra.cpr_index import blind
from services.http.auth import Role
from services.http.container import Services
from tests.support.api import as_staff

pytestmark = pytest.mark.stores

CPR = "010190-1234"


def register(client: TestClient, staff: str, municipality: str = "165", **extra: Any) -> str:
    r = client.post(
        "/candidates",
        json={"municipality": municipality, "name": "Kim Marker", "cpr": CPR, **extra},
        headers=as_staff(client, staff, municipality=municipality),
    )
    assert r.status_code == 201, r.text
    candidate_id: str = r.json()["id"]
    return candidate_id


def staff_of(client: TestClient, municipality: str) -> str:
    r = client.post(
        "/staff", json={"name": "Ask Havgaard", "municipality": municipality, "unit": "job_centre"}
    )
    assert r.status_code == 201, r.text
    staff_id: str = r.json()["id"]
    return staff_id


def test_a_lookup_by_cpr_finds_the_candidate_and_is_logged(client: TestClient, staff: str) -> None:
    """Any spelling of the number finds the one candidate; the read is in the access log."""
    cid = register(client, staff)
    me = as_staff(client, staff)
    r = client.post("/candidates/lookup", json={"cpr": "0101901234"}, headers=me)
    assert r.status_code == 200, r.text
    [found] = r.json()
    assert found["id"] == cid
    assert found["personal_data"]["name"] == "Kim Marker"
    lead = as_staff(client, staff, Role.TEAM_LEAD)
    log = client.get(f"/candidates/{cid}/access-log", headers=lead).json()
    assert [(a["subject"], a["purpose"]) for a in log] == [(staff, "opslag på CPR-nummer")]
    r = client.post(
        "/candidates/lookup", json={"cpr": " 010190 1234", "purpose": "henvisning"}, headers=me
    )
    assert [c["id"] for c in r.json()] == [cid]
    log = client.get(f"/candidates/{cid}/access-log", headers=lead).json()
    assert log[-1]["purpose"] == "henvisning"


def test_a_lookup_sees_only_the_callers_municipalities(client: TestClient, staff: str) -> None:
    """The same CPR number registered in 165 and 147: each municipality finds its own;
    a number known only in 147 is a 404 for 165, as one known nowhere."""
    own = register(client, staff)
    other = register(client, staff_of(client, "147"), "147")
    r = client.post("/candidates/lookup", json={"cpr": CPR}, headers=as_staff(client, staff))
    assert [c["id"] for c in r.json()] == [own]
    r = client.post(
        "/candidates/lookup", json={"cpr": CPR}, headers=as_staff(client, staff, municipality="147")
    )
    assert [c["id"] for c in r.json()] == [other]
    register(client, staff_of(client, "147"), "147", cpr="020290-4321")
    hidden = client.post(
        "/candidates/lookup", json={"cpr": "020290-4321"}, headers=as_staff(client, staff)
    )
    unknown = client.post(
        "/candidates/lookup", json={"cpr": "030390-5555"}, headers=as_staff(client, staff)
    )
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["detail"] == unknown.json()["detail"]
    assert "020290" not in hidden.text and "4321" not in hidden.text


@pytest.mark.parametrize("cpr", ["12345", "320190-1234", "01019012345", "0101901234x9"])
def test_a_malformed_cpr_number_is_a_clear_422(client: TestClient, staff: str, cpr: str) -> None:
    r = client.post("/candidates/lookup", json={"cpr": cpr}, headers=as_staff(client, staff))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert cpr not in r.text  # the detail does not echo the number


def test_a_lookup_is_for_staff_and_the_number_goes_in_the_body_only(
    client: TestClient, staff: str
) -> None:
    """An auditor may not look people up (403); the number as a query is no lookup."""
    register(client, staff)
    auditor = as_staff(client, staff, Role.AUDITOR)
    r = client.post("/candidates/lookup", json={"cpr": CPR}, headers=auditor)
    assert r.status_code == 403, r.text
    r = client.post(
        "/candidates/lookup", params={"cpr": CPR}, json={}, headers=as_staff(client, staff)
    )
    assert r.status_code == 422, r.text


def test_erasure_removes_the_index_entry(
    client: TestClient, staff: str, services: Services
) -> None:
    """After erasure the number finds nothing, and no digest of it is left in the index."""
    cid = register(client, staff)
    assert services.vault.find_cpr("0101901234") == [(UUID(cid), "165")]
    lead = as_staff(client, staff, Role.TEAM_LEAD)
    assert client.post(f"/candidates/{cid}/erase", json={}, headers=lead).status_code == 200
    r = client.post("/candidates/lookup", json={"cpr": CPR}, headers=as_staff(client, staff))
    assert r.status_code == 404, r.text
    assert services.vault.find_cpr("0101901234") == []


def test_the_index_holds_a_keyed_digest_not_the_number(services: Services) -> None:
    """The digest depends on the key: without it, a number cannot be tested against it."""
    assert blind(bytes(32), "0101901234") != blind(bytes([1]) * 32, "0101901234")
    assert "0101901234" not in blind(bytes(32), "0101901234")
