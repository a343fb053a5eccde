"""`casebook project`, the production worker, prunes idempotency records older than
CASEBOOK_IDEMPOTENCY_RETENTION_DAYS from the store an API process writes to."""

from __future__ import annotations

import subprocess
import time

import psycopg

from infra.settings import Settings
from services.bootstrap import build_services, migrate
from tests.support.api import contact
from tests.support.cli import CASEBOOK, company_client
from tests.support.running import free_port, service_env


def recorded(settings: Settings) -> list[str]:
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        rows = conn.execute(
            f'SELECT key FROM "{settings.postgres_schema}".casebook_idempotency ORDER BY key'
        ).fetchall()
    return [key for (key,) in rows]


def test_the_projection_worker_prunes_expired_records(postgres_settings: Settings) -> None:
    migrate(postgres_settings)
    services = build_services(postgres_settings, run_projections=False)
    try:
        client, staff = company_client(postgres_settings, services)
        for key in ("week-old", "today"):
            r = client.post(
                "/companies/13748136/contacts",
                json=contact(staff),
                headers={"Idempotency-Key": key},
            )
            assert r.status_code == 201, r.text
    finally:
        services.close()
    with psycopg.connect(postgres_settings.database_url, autocommit=True) as conn:
        conn.execute(
            f'UPDATE "{postgres_settings.postgres_schema}".casebook_idempotency '
            "SET recorded_at = now() - interval '7 days 1 minute' WHERE key = 'week-old'"
        )
    assert recorded(postgres_settings) == ["today", "week-old"]
    env = service_env(postgres_settings, free_port(), "casebook-prune-test")
    worker = subprocess.Popen([*CASEBOOK, "project"], env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60  # a liveness bound: its start-up imports take seconds
        while recorded(postgres_settings) != ["today"]:
            assert worker.poll() is None, "casebook project stopped"
            assert time.monotonic() < deadline, recorded(postgres_settings)
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(15)
