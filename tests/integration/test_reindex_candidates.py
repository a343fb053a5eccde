"""`casebook reindex-candidates` on PostgreSQL, as a separate process: candidates whose
index entries are missing (registered before the index) or were made under another
index key are found by CPR number again; an erased one stays out."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
from psycopg.sql import SQL, Identifier

from infra.cpr_index import INDEX_TABLE
from infra.settings import Settings
from services.bootstrap import build_services, migrate
from tests.support.services import acting_client

CASEBOOK = [sys.executable, "-m", "services.cli"]
PERSON = {"municipality": "165", "name": "Karla Æblegård", "cpr": "010190-1234"}


def test_reindexing_finds_candidates_by_cpr_again(postgres_settings: Settings) -> None:
    migrate(postgres_settings)
    services = build_services(postgres_settings, run_projections=True)
    try:
        client = acting_client(services)
        staff = client.post(
            "/staff", json={"name": "Gry", "municipality": "165", "unit": "job_centre"}
        ).json()["id"]
        kept, stale, erased = (
            client.post("/candidates", json={**PERSON, "by": staff}).json()["id"] for _ in range(3)
        )
        r = client.post(f"/candidates/{erased}/erase", json={"by": staff})
        assert r.status_code == 200, r.text
        assert services.projections is not None
        assert services.projections.wait_for(services.app.last_position(), 30)
    finally:
        services.close()
    table = Identifier(postgres_settings.postgres_schema, INDEX_TABLE)
    with psycopg.connect(postgres_settings.database_url, autocommit=True) as conn:
        conn.execute(SQL("DELETE FROM {0} WHERE candidate_id = %s").format(table), (kept,))
        conn.execute(  # as if made under another index key
            SQL("UPDATE {0} SET digest = 'old' WHERE candidate_id = %s").format(table), (stale,)
        )
    env = {
        **os.environ,
        "CASEBOOK_DATABASE_URL": postgres_settings.database_url,
        "CASEBOOK_POSTGRES_SCHEMA": postgres_settings.postgres_schema,
        "CASEBOOK_LOG_LEVEL": "warning",
        **(
            {"CASEBOOK_CANDIDATE_KEK": postgres_settings.candidate_kek.get_secret_value()}
            if postgres_settings.candidate_kek
            else {}
        ),
    }
    done = subprocess.run(
        [*CASEBOOK, "reindex-candidates"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "2 candidates indexed" in done.stdout + done.stderr
    services = build_services(postgres_settings, run_projections=False)
    try:
        found = {str(cid) for cid, _ in services.vault.find_cpr("0101901234")}
    finally:
        services.close()
    assert found == {kept, stale}
