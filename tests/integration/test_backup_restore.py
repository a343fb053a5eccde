"""The backup and restore drill of docs/operations.md: `pg_dump` of a running casebook
(`casebook serve` and `casebook project` on a PostgreSQL schema), `pg_restore` into a
new database, and there: `casebook verify` holds, the read models rebuilt from the
restored log equal the original's, an invoice replays identically, and a candidate's
personal data opens (its key came along)."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg.sql import SQL, Identifier

from infra.settings import Settings
from projections.registry import PROJECTIONS
from services.http.auth import Role
from tests.support.api import contact
from tests.support.cli import CASEBOOK, YEAR
from tests.support.running import Service, running_service

CVR = "13748136"
CANDIDATE_NAME = "Backup Drill Bendtsen"


def casebook(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """`casebook ARGS` as an operator runs it against these settings."""
    assert settings.candidate_kek is not None
    env = {
        **os.environ,
        "CASEBOOK_DATABASE_URL": settings.database_url,
        "CASEBOOK_POSTGRES_SCHEMA": settings.postgres_schema,
        "CASEBOOK_CANDIDATE_KEK": settings.candidate_kek.get_secret_value(),
        "CASEBOOK_LOG_LEVEL": "warning",
    }
    return subprocess.run(
        [*CASEBOOK, *args], env=env, capture_output=True, text=True, check=False, timeout=300
    )


def _as_staff(
    service: Service, staff: str, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    """A request signed as this staff member (a team lead of municipality 165)."""
    token = service.token(staff, "165", Role.TEAM_LEAD)
    r = httpx.request(
        method,
        service.url + path,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        **kwargs,
    )
    assert r.status_code < 300, r.text
    return r


def _load(service: Service) -> dict[str, str]:
    """Staff, a company with contacts and placements, a candidate, a contract and two
    invoices (the second correcting the first); their ids."""
    staff = service.post("/staff", {"name": "Gry", "municipality": "165", "unit": "job_centre"})
    by = staff["id"]
    service.post(
        "/companies",
        {"cvr": CVR, "name": "Glans ApS", "municipality": "165", "industry": "x", "by": by},
    )
    for n in range(3):
        service.post(f"/companies/{CVR}/contacts", contact(by, summary=f"contact {n}"))
    candidate = _as_staff(
        service,
        by,
        "POST",
        "/candidates",
        json={"municipality": "165", "name": CANDIDATE_NAME, "cpr": "010190-1234"},
    ).json()
    placements = [
        service.post(
            f"/companies/{CVR}/placements",
            {
                "by": by,
                "candidate_id": candidate_id,
                "kind": "flex_job",
                "hours_per_week": 20,
                "starts_on": day,
            },
        )["id"]
        for candidate_id, day in (
            (candidate["id"], "2026-01-05"),
            (service.candidate(by), "2026-02-02"),
        )
    ]
    contract = service.post(
        "/contracts",
        {
            "municipality": "165",
            "name": "VSB",
            **YEAR,
            "rules": {"default_prices_ore": [100_00, 200_00, 300_00]},
        },
    )["id"]
    service.post(f"/contracts/{contract}/invoices", YEAR)
    service.post(
        f"/companies/{CVR}/placements/{placements[0]}/end",
        {"by": by, "ends_on": "2026-02-01", "reason": "resigned"},
    )
    invoice = service.post(f"/contracts/{contract}/invoices", YEAR)["id"]
    return {"staff": by, "candidate": candidate["id"], "contract": contract, "invoice": invoice}


def _settled(service: Service) -> None:
    """Wait (bounded) until every read model and the seal have reached the log's end."""
    deadline = time.monotonic() + 60
    while True:
        ready = service.send("GET", "/readyz", timeout=10).json()
        verified = casebook(service.settings, "verify")
        if all(v["lag"] == 0 for v in ready["views"]) and "not sealed" not in verified.stdout:
            return
        assert time.monotonic() < deadline, (ready, verified.stdout)
        time.sleep(0.5)


def _views(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read model's active generation, by projection and table."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with psycopg.connect(settings.database_url) as conn:
        conn.execute(SQL("SET search_path TO {0}").format(Identifier(settings.postgres_schema)))
        for projection in PROJECTIONS:
            [(generation,)] = conn.execute(
                "SELECT generation FROM casebook_projections WHERE name = %s AND active = 1",
                (projection.name,),
            ).fetchall()
            for table in projection.table_names():
                name = f"view_{projection.name}_g{generation}_{table}"
                found = conn.execute(SQL("SELECT * FROM {0}").format(Identifier(name)))
                rows[f"{projection.name}.{table}"] = sorted(found.fetchall(), key=repr)
    return rows


@contextmanager
def _new_database(settings: Settings) -> Iterator[Settings]:
    """An empty database beside the test's (dropped afterwards); the same settings on it."""
    name = f"restored_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute(SQL("CREATE DATABASE {0}").format(Identifier(name)))
    url = settings.database_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield settings.model_copy(update={"database_url": url})
    finally:
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            conn.execute(SQL("DROP DATABASE {0} WITH (FORCE)").format(Identifier(name)))


def _run(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, (command, done.stdout, done.stderr)


def test_a_dump_of_a_running_casebook_restores_with_the_same_log_views_and_invoices(
    postgres_settings: Settings, tmp_path: Path
) -> None:
    """Restored from `pg_dump` into a new database: verify holds, rebuilt read models
    equal the original's, the invoice replays identically, personal data opens."""
    dump = tmp_path / "casebook.dump"
    schema = postgres_settings.postgres_schema
    with running_service(postgres_settings, tmp_path) as service:
        ids = _load(service)
        _settled(service)
        # While serve and project run, as an operator's nightly backup would.
        _run("pg_dump", "--format=custom", f"--schema={schema}", f"--file={dump}",
             postgres_settings.database_url)  # fmt: skip
        original_views = _views(postgres_settings)
    replay = ("replay", "--contract", ids["contract"], "--invoice", ids["invoice"], "--json")
    original_replay = casebook(postgres_settings, *replay)
    assert original_replay.returncode == 0, original_replay.stderr
    assert '"reproduced": true' in original_replay.stdout

    with _new_database(postgres_settings) as restored:
        _run("pg_restore", "--exit-on-error", f"--dbname={restored.database_url}", str(dump))
        verified = casebook(restored, "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert verified.stdout.startswith("verified "), verified.stdout
        assert casebook(restored, "verify").stdout == casebook(postgres_settings, "verify").stdout

        rebuilt = casebook(restored, "rebuild", "all")
        assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
        restored_views = _views(restored)
        assert restored_views.keys() == original_views.keys()
        for table, rows in original_views.items():
            assert restored_views[table] == rows, table
        assert any(restored_views.values())  # the comparison compared something

        again = casebook(restored, *replay)
        assert again.returncode == 0, again.stderr
        assert again.stdout == original_replay.stdout

        (tmp_path / "restored").mkdir()
        with running_service(restored, tmp_path / "restored") as service:
            seen = _as_staff(
                service,
                ids["staff"],
                "GET",
                f"/candidates/{ids['candidate']}",
                params={"purpose": "backup drill"},
            )
            assert seen.status_code == 200, seen.text
            assert seen.json()["personal_data"]["name"] == CANDIDATE_NAME
            invoice = service.send("GET", f"/invoices/{ids['invoice']}")
            assert invoice.status_code == 200, invoice.text
            assert invoice.json()["seal_agrees"] is True
