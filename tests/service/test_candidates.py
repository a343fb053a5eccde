"""Candidates: personal data sealed under their own key, logged reads, erasure for good.

These cases run on the in-memory store here; marked `stores`, `make integration` runs
them again on SQLite and PostgreSQL (`--stores sqlite,postgres`).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from domain.candidate import Candidate, normalise_cpr
from domain.errors import InvalidCprError
from infra.clock import local_now
from infra.vault import KEYS_TABLE, SealError, unseal
from services.http.auth import Role
from services.http.container import Services
from tests.support.api import as_staff

pytestmark = pytest.mark.stores  # rerun on SQLite and PostgreSQL by `make integration`

TODAY = local_now().date()  # the service's business date (Danish), not the machine's
PERSON = {
    "name": "Kim Marker-Jensen",
    "cpr": "010190-1234",
    "phone": "+45 12 34 56 78",
    "email": "kim@example.dk",
    "address": "Vej 1, 2620 Albertslund",
    "notes": "Vil gerne arbejde med planter",
}


def register(client: TestClient, staff: str, **extra: Any) -> str:
    r = client.post(
        "/candidates",
        json={"municipality": "165", **PERSON, **extra},
        headers=as_staff(client, staff),
    )
    assert r.status_code == 201, r.text
    candidate_id: str = r.json()["id"]
    return candidate_id


def test_personal_data_is_sealed_in_the_event_and_opens_with_its_key(
    client: TestClient, staff: str, services: Services
) -> None:
    cid = UUID(register(client, staff))
    [event] = list(services.app.events.get(cid))
    assert isinstance(event, Candidate.Registered)
    assert "Marker" not in repr(event.__dict__)
    key = services.vault.key(cid)
    assert key is not None
    assert unseal(key, cid, event.sealed)["name"] == PERSON["name"]
    with pytest.raises(SealError):  # bound to its candidate: another id cannot open it
        unseal(key, uuid.uuid4(), event.sealed)


def test_reading_personal_data_needs_a_purpose_and_is_logged(
    client: TestClient, staff: str
) -> None:
    cid = register(client, staff)
    me = as_staff(client, staff)
    assert client.get(f"/candidates/{cid}", headers=me).status_code == 422  # no purpose
    r = client.get(f"/candidates/{cid}", params={"purpose": "match to opening"}, headers=me)
    assert r.status_code == 200, r.text
    assert r.json()["personal_data"]["cpr"] == "0101901234"
    assert r.json()["erased"] is False
    lead = as_staff(client, staff, Role.TEAM_LEAD)
    log = client.get(f"/candidates/{cid}/access-log", headers=lead).json()
    assert [(a["subject"], a["role"], a["purpose"]) for a in log] == [
        (staff, "consultant", "match to opening")
    ]
    other = as_staff(client, staff, municipality="147")
    assert (
        client.get(f"/candidates/{cid}", params={"purpose": "curious"}, headers=other).status_code
        == 404
    )
    assert len(client.get(f"/candidates/{cid}/access-log", headers=lead).json()) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cpr", "320190-1234"),
        ("cpr", "12345"),
        ("name", ""),
        ("name", "x" * 201),
        ("notes", "x" * 4001),
        ("email", "not an email"),
        ("phone", "call me"),
    ],
)
def test_bad_or_over_long_personal_data_is_422(
    client: TestClient, staff: str, field: str, value: str
) -> None:
    r = client.post(
        "/candidates",
        json={"municipality": "165", **PERSON, field: value},
        headers=as_staff(client, staff),
    )
    assert r.status_code == 422, r.text
    assert value not in r.text or len(value) < 6  # the detail does not echo the data


def test_cpr_numbers_are_normalised_and_checked() -> None:
    assert normalise_cpr("010190-1234") == normalise_cpr("0101901234") == "0101901234"
    for bad in ("310290-1234", "0101901", "01019012345"):
        with pytest.raises(InvalidCprError):
            normalise_cpr(bad)


@pytest.mark.parametrize("cpr", ["²101901234", "01019\uff101234", "0101\u0669\u06690123"])
def test_a_cpr_number_of_other_digits_than_0_to_9_is_a_422(
    client: TestClient, staff: str, cpr: str
) -> None:
    """A superscript or another script's digit in a CPR number is refused as invalid (a '²'
    was an internal error, a full-width digit was stored as it was)."""
    r = client.post(
        "/candidates",
        json={"municipality": "165", **PERSON, "cpr": cpr},
        headers=as_staff(client, staff),
    )
    assert r.status_code == 422, r.text
    assert r.json()["title"] == "Invalid value"
    assert "ten digits" in r.json()["detail"]


def test_erasure_destroys_the_key_and_every_view_shows_it(
    client: TestClient, staff: str, registered: str, services: Services
) -> None:
    cid = register(client, staff)
    c = f"/companies/{registered}"
    opening = client.post(
        f"{c}/openings",
        json={
            "title": "Gartner",
            "hours_per_week": 20,
            "placement_kinds": ["ordinary"],
            "by": staff,
        },
    ).json()["id"]
    referral = client.post(
        f"{c}/referrals", json={"opening_id": opening, "candidate_id": cid, "by": staff}
    ).json()
    lead = as_staff(client, staff, Role.TEAM_LEAD)
    before = client.get(c, params={"min_position": referral["position"]}).json()
    assert [x["candidate_erased"] for x in before["referrals_in_flight"]] == [False]
    assert (
        client.post(
            f"/candidates/{cid}/erase", json={}, headers=as_staff(client, staff)
        ).status_code
        == 403
    )  # team leads
    r = client.post(f"/candidates/{cid}/erase", json={}, headers=lead)
    assert r.status_code == 200, r.text
    assert services.vault.key(UUID(cid)) is None
    seen = client.get(
        f"/candidates/{cid}", params={"purpose": "check erasure"}, headers=lead
    ).json()
    assert (seen["erased"], seen["personal_data"], seen["erased_on"]) == (
        True,
        None,
        TODAY.isoformat(),
    )
    again = client.post(f"/candidates/{cid}/erase", json={}, headers=lead)
    assert again.status_code == 409
    overview = client.get(c, params={"min_position": r.json()["position"]}).json()
    assert [x["candidate_erased"] for x in overview["referrals_in_flight"]] == [True]
    listed = client.get(f"{c}/overview/referrals_in_flight").json()
    assert [x["candidate_erased"] for x in listed["entries"]] == [True]
    timeline = client.get(f"{c}/timeline", params={"kind": "candidate_referred"}).json()
    assert timeline["entries"][0]["data"]["candidate_erased"] is True
    assert referral["position"] < r.json()["position"]
    # The history stays replayable: the aggregate and its events still load.
    replayed = services.app.find(UUID(cid), Candidate)
    assert replayed is not None and replayed.erased


def test_clarification_records_dates_never_details(
    client: TestClient, staff: str, services: Services
) -> None:
    cid = register(client, staff)
    me = as_staff(client, staff)
    r = client.post(
        f"/candidates/{cid}/clarifications",
        headers=me,
        json={"health_clarified_on": (TODAY - timedelta(days=1)).isoformat()},
    )
    assert r.status_code == 200, r.text
    r = client.post(
        f"/candidates/{cid}/clarifications", headers=me, json={"health_details": "anything"}
    )
    assert r.status_code == 422  # there is no field for health details
    r = client.post(
        f"/candidates/{cid}/clarifications",
        headers=me,
        json={"motivation_clarified_on": (TODAY + timedelta(days=1)).isoformat()},
    )
    assert r.status_code == 422  # not ahead of time
    seen = client.get(f"/candidates/{cid}", params={"purpose": "follow-up"}, headers=me).json()
    assert seen["health_clarified_on"] == (TODAY - timedelta(days=1)).isoformat()


def test_a_failed_registration_leaves_no_key_behind(
    client: TestClient, staff: str, services: Services
) -> None:
    """A refused command (staff member unknown) destroys the key it made."""
    stranger = str(uuid.uuid4())
    r = client.post(
        "/candidates", json={"municipality": "165", **PERSON}, headers=as_staff(client, stranger)
    )
    assert r.status_code == 404, r.text
    assert services.vault.accesses(uuid.uuid4()) == []
    assert _key_count(services) == 0


def _key_count(services: Services) -> int:
    vault: Any = services.vault
    if hasattr(vault, "_wrapped"):
        return len(vault._wrapped)
    if services.settings.backend == "sqlite":
        with services.app.recorder.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
            c.execute(f"SELECT COUNT(*) FROM {KEYS_TABLE}")
            return int(c.fetchone()[0])
    with services.app.recorder.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
        c.execute(f'SELECT COUNT(*) AS n FROM "{services.settings.postgres_schema}".{KEYS_TABLE}')
        return int(c.fetchone()["n"])


def test_erasure_waits_for_an_open_dispute_that_names_the_candidate(
    client: TestClient, staff: str, registered: str, services: Services
) -> None:
    """A legal hold: 409 while a dispute of a line for the candidate is open; after the
    dispute is resolved the erasure goes through."""
    cid = register(client, staff)
    r = client.post(
        f"/companies/{registered}/placements",
        json={
            "by": staff,
            "candidate_id": cid,
            "kind": "ordinary",
            "hours_per_week": 30,
            "starts_on": "2026-01-05",
        },
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/contracts",
        json={
            "municipality": "165",
            "name": "Resultatkontrakt",
            "period_from": "2026-01-01",
            "period_to": "2026-12-31",
            "rules": {"default_prices_ore": [100_00, 200_00, 300_00]},
        },
    )
    assert r.status_code == 201, r.text
    contract_id = r.json()["id"]
    r = client.post(
        f"/contracts/{contract_id}/invoices",
        json={"period_from": "2026-01-01", "period_to": "2026-12-31"},
    )
    assert r.status_code == 201, r.text
    invoice = client.get(f"/invoices/{r.json()['id']}").json()
    keys = [line["key"] for line in invoice["lines"] if line.get("candidate_id") == cid]
    assert keys, invoice["lines"]
    r = client.post(
        f"/invoices/{invoice['invoice_id']}/disputes",
        json={"keys": keys, "reason": "start not documented"},
    )
    assert r.status_code == 201, r.text
    dispute_id = r.json()["id"]
    lead = as_staff(client, staff, Role.TEAM_LEAD)
    held = client.post(f"/candidates/{cid}/erase", json={}, headers=lead)
    assert held.status_code == 409, held.text
    assert dispute_id in held.json()["detail"]
    assert services.vault.key(UUID(cid)) is not None  # nothing was destroyed
    r = client.post(
        f"/invoices/{invoice['invoice_id']}/disputes/{dispute_id}/resolution",
        json={"outcome": "upheld"},
    )
    assert r.status_code == 201, r.text
    done = client.post(f"/candidates/{cid}/erase", json={}, headers=lead)
    assert done.status_code == 200, done.text
    assert services.vault.key(UUID(cid)) is None
