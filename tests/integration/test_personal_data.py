"""No personal data in plain text anywhere: every table, NATS message and log line.

A candidate whose name and notes are unique markers is registered, referred, placed,
followed up and erased. Every table of the database is dumped, the whole NATS stream
read, and every log line of the run captured: the markers never appear, before or
after erasure. After erasure the data key is gone and nothing the service has can open
the sealed data, while the history still replays.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from structlog.testing import capture_logs

from domain.candidate import Candidate
from infra.vault import SealError, unseal
from services.audit.verify import Report, stored_pairs, verify
from services.bootstrap import build_services, migrate
from services.http.auth import Role
from services.http.container import Services
from tests.conftest import NatsFor
from tests.support.api import as_staff
from tests.support.relay import log_ids, read_stream, wait_until
from tests.support.services import acting_client

TODAY = date.today()


def run_verify(services: Services) -> Report:
    """`casebook verify` over this store."""
    return verify(stored_pairs(services.settings, services.app, services.views))


def _text(value: Any) -> str:
    """A column's value as text; binary columns (the events' state) decoded as UTF-8."""
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def dump_database(services: Services) -> str:
    """Every row of every table (events, views, idempotency, keys, access log) as text."""
    settings = services.settings
    parts: list[str] = []
    if settings.backend == "sqlite":
        with sqlite3.connect(settings.sqlite_path()) as db:
            tables = [
                r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
            for table in tables:
                for row in db.execute(f'SELECT * FROM "{table}"'):
                    parts.append(repr(tuple(_text(v) for v in row)))
        return "\n".join(parts)
    schema = settings.postgres_schema
    with psycopg.connect(settings.database_url) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            )
        ]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{schema}"."{table}"'):
                parts.append(repr(tuple(_text(v) for v in row)))
    assert tables, "no tables found"
    return "\n".join(parts)


@pytest.fixture(params=["sqlite", "postgres"])
def relayed(request: pytest.FixtureRequest, nats_for: NatsFor) -> Iterator[Services]:
    """Services on SQLite, then PostgreSQL, relaying to a NATS stream of their own."""
    settings = nats_for(request.getfixturevalue(f"{request.param}_settings"))
    migrate(settings)
    services = build_services(settings, run_projections=True, run_relay=True)
    yield services
    services.close()


def test_markers_never_appear_in_tables_nats_or_logs(
    relayed: Services, caplog: pytest.LogCaptureFixture
) -> None:
    services = relayed
    name, notes = f"NAME-{uuid.uuid4().hex}", f"NOTES-{uuid.uuid4().hex}"
    client = acting_client(services)
    caplog.set_level(logging.DEBUG)
    with capture_logs() as logs:
        staff = client.post(
            "/staff",
            json={
                "name": "Pia Skov",
                "municipality": "165",
                "unit": "job_centre",
                "role": "team_lead",
            },
        ).json()["id"]
        cvr = "13748136"
        client.post(
            "/companies", json={"cvr": cvr, "name": "Glans ApS", "municipality": "165", "by": staff}
        )
        me = as_staff(client, staff, Role.TEAM_LEAD)
        r = client.post(
            "/candidates",
            headers=me,
            json={"municipality": "165", "name": name, "cpr": "010190-1234", "notes": notes},
        )
        assert r.status_code == 201, r.text
        cid = r.json()["id"]
        c = f"/companies/{cvr}"
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
            f"{c}/referrals",
            json={
                "opening_id": opening,
                "candidate_id": cid,
                "by": staff,
                "health_clarified_on": (TODAY - timedelta(days=3)).isoformat(),
            },
        ).json()["id"]
        client.post(
            f"{c}/referrals/{referral}/answer",
            json={"outcome": "hired", "answered_on": TODAY.isoformat(), "by": staff},
        )
        placement = client.post(
            f"{c}/placements",
            json={
                "candidate_id": cid,
                "referral_id": referral,
                "kind": "ordinary",
                "hours_per_week": 20,
                "starts_on": TODAY.isoformat(),
                "by": staff,
            },
        ).json()["id"]
        follow_up = client.post(
            f"{c}/follow-ups",
            json={"placement_id": placement, "due_on": TODAY.isoformat(), "by": staff},
        ).json()["id"]
        last = client.post(
            f"{c}/follow-ups/{follow_up}/complete",
            json={"held_on": TODAY.isoformat(), "status": "on_track", "by": staff},
        )
        assert last.status_code == 200, last.text
        seen = client.get(f"/candidates/{cid}", params={"purpose": "before erasure"}, headers=me)
        assert seen.json()["personal_data"]["name"] == name  # it was there to be found
        client.get(c, params={"min_position": last.json()["position"]})
        before = dump_database(services)
        erased = client.post(f"/candidates/{cid}/erase", json={}, headers=me)
        assert erased.status_code == 200, erased.text
        client.get(c, params={"min_position": erased.json()["position"]})
        after = dump_database(services)
    logged = repr(logs) + caplog.text
    settings = services.settings
    wait_until(
        lambda: len(read_stream(settings)) == len(log_ids(services.app)),
        60,
        "the relay to publish the whole log",
    )
    stream = read_stream(settings)
    published = "\n".join(f"{m.subject} {m.headers} {m.data.decode()}" for m in stream)
    subjects = [m.subject for m in stream]
    assert any(s.endswith(".candidate.registered") for s in subjects)
    assert any(s.endswith(".candidate.erased") for s in subjects)  # subscribers can purge
    assert "Glans ApS" in published  # the stream does carry plain event data
    for marker in (name, notes, "0101901234"):
        assert marker not in before
        assert marker not in after
        assert marker not in logged
        assert marker not in published
    # The dump does show what is stored in plain text: ids, and the company's name
    # inside the events' (binary) state.
    assert cid in before and cid in after
    assert "Glans ApS" in before
    # The key is gone and no path the service has opens the sealed data.
    assert services.vault.key(UUID(cid)) is None
    candidate = services.app.find(UUID(cid), Candidate)
    assert candidate is not None and candidate.erased  # the history replays
    for key in (bytes(32), services.vault.new_key(uuid.uuid4())):
        with pytest.raises(SealError):
            unseal(key, UUID(cid), candidate.sealed)
    gone = client.get(f"/candidates/{cid}", params={"purpose": "after erasure"}, headers=me)
    assert gone.json()["personal_data"] is None
    state: Any = client.get(f"{c}/state").json()
    assert cid in repr(state)  # the company's history still names the candidate id
    # The ledger still pays for the placement (it needs the id only), and the log
    # still verifies against its seal.
    r = client.post(
        "/contracts",
        json={
            "municipality": "165",
            "name": "Resultatkontrakt",
            "period_from": f"{TODAY.year}-01-01",
            "period_to": f"{TODAY.year}-12-31",
            "rules": {"default_prices_ore": [100, 200, 300]},
        },
    )
    assert r.status_code == 201, r.text
    book = client.get(f"/contracts/{r.json()['id']}/ledger").json()
    assert [e["candidate_id"] for e in book["entries"]] == [cid]
    assert services.projections is not None
    assert services.projections.wait_for(services.app.last_position(), 30)
    wait_until(
        lambda: run_verify(services).sealed_position >= services.app.last_position(),
        30,
        "the seal to reach the log's end",
    )
    report = run_verify(services)
    assert report.findings == [] and report.events == services.app.last_position()
