"""The `casebook` command line against real stores, as separate processes."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg

from infra.settings import Settings
from services.bootstrap import build_services, migrate
from services.read.heartbeat import workers
from tests.support.services import acting_client

CASEBOOK = [sys.executable, "-m", "services.cli"]


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "CASEBOOK_DATABASE_URL": settings.database_url,
        "CASEBOOK_POSTGRES_SCHEMA": settings.postgres_schema,
        "CASEBOOK_LOG_LEVEL": "warning",
        **(
            {"CASEBOOK_JWT_SECRET": settings.jwt_secret.get_secret_value()}
            if settings.jwt_secret
            else {}
        ),
        **(
            {"CASEBOOK_CANDIDATE_KEK": settings.candidate_kek.get_secret_value()}
            if settings.candidate_kek
            else {}
        ),
    }


def test_migrate_twice_and_from_two_processes_at_once(postgres_settings: Settings) -> None:
    """Concurrent and repeated migrations all succeed and create the tables once."""
    env = _env(postgres_settings)
    procs = [
        subprocess.Popen([*CASEBOOK, "migrate"], env=env, stderr=subprocess.PIPE) for _ in range(3)
    ]
    results = [(p.wait(60), p.stderr.read() if p.stderr else b"") for p in procs]
    assert [code for code, _ in results] == [0, 0, 0], results
    again = subprocess.run([*CASEBOOK, "migrate"], env=env, capture_output=True, check=False)
    assert again.returncode == 0, again.stderr
    with psycopg.connect(postgres_settings.database_url) as conn:
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (postgres_settings.postgres_schema,),
            )
        }
    assert {"casebook_events", "casebook_idempotency"} <= tables


def test_demo_loads_once_on_postgres(postgres_settings: Settings) -> None:
    """`casebook demo` loads the pilot data set; a second run leaves it as it is."""
    env = _env(postgres_settings)
    first = subprocess.run(
        [*CASEBOOK, "demo"], env=env, capture_output=True, text=True, check=False, timeout=300
    )
    assert first.returncode == 0, first.stderr
    assert "demo data loaded" in first.stderr
    second = subprocess.run(
        [*CASEBOOK, "demo"], env=env, capture_output=True, text=True, check=False, timeout=300
    )
    assert "already loaded" in second.stderr
    with psycopg.connect(postgres_settings.database_url) as conn:
        rows: dict[str, int] = dict(
            conn.execute(
                f"SELECT topic, count(*) FROM "
                f'"{postgres_settings.postgres_schema}".casebook_events GROUP BY topic'
            ).fetchall()
        )
    assert rows["casebook:Company.Registered"] >= 24
    assert rows["casebook:StaffMember.Left"] >= 1
    for kind in (
        "ContactLogged",
        "PlacementStarted",
        "PlacementChanged",
        "PlacementEnded",
        "FollowUpCompleted",
        "CommitmentAgreed",
        "OpeningClosed",
    ):
        assert rows[f"casebook:Company.{kind}"] > 0, kind


def test_serve_starts_on_sqlite_and_answers(tmp_path: Path) -> None:
    """The run command's server migrates its SQLite file and takes commands."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "CASEBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    proc = subprocess.Popen(
        [*CASEBOOK, "serve", "--port", str(port)], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        url = f"http://127.0.0.1:{port}"
        status = None
        for _ in range(100):
            try:
                status = httpx.get(f"{url}/readyz").json()["status"]
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert status == "ready"
        person = {"name": "Ole Engdahl", "municipality": "147", "unit": "business_unit"}
        refused = httpx.post(f"{url}/staff", json=person)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        printed = subprocess.run(
            [*CASEBOOK, "token", "--role", "admin", "--municipality", "147"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        token = printed.stdout.strip()
        r = httpx.post(f"{url}/staff", json=person, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201, r.text
        assert httpx.get(f"{url}/docs").status_code == 200
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/docs" in err


def test_a_failing_command_exits_non_zero_with_one_line() -> None:
    """A bad database URL is reported in one line, with a non-zero exit status."""
    env = {**os.environ, "CASEBOOK_DATABASE_URL": "mysql://nowhere"}
    r = subprocess.run([*CASEBOOK, "migrate"], env=env, capture_output=True, text=True, check=False)
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "casebook: error: unsupported CASEBOOK_DATABASE_URL scheme 'mysql'"
    ]


def test_serve_on_an_unmigrated_database_says_to_migrate(postgres_settings: Settings) -> None:
    """Production mode does not create tables itself; it names the step that does."""
    r = subprocess.run(
        [*CASEBOOK, "serve"],
        env=_env(postgres_settings),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert r.returncode == 1
    assert "run `casebook migrate` first" in r.stderr


def test_no_arguments_prints_help_and_exits_2() -> None:
    """`casebook` alone shows the commands, without an empty error line."""
    r = subprocess.run(CASEBOOK, capture_output=True, text=True, check=False)
    assert r.returncode == 2
    assert "migrate" in r.stdout
    assert "error" not in r.stderr


def test_a_bad_schema_name_is_refused_before_touching_the_database() -> None:
    """Settings are validated, and the reason names the variable."""
    env = {**os.environ, "CASEBOOK_POSTGRES_SCHEMA": "bad-name;"}
    r = subprocess.run([*CASEBOOK, "migrate"], env=env, capture_output=True, text=True, check=False)
    assert r.returncode == 1
    assert r.stderr.startswith("casebook: error: CASEBOOK_POSTGRES_SCHEMA:")


def test_serve_on_a_taken_port_says_so_in_one_line(tmp_path: Path) -> None:
    """A port in use is reported before anything claims to be listening."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "CASEBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
        r = subprocess.run(
            [*CASEBOOK, "serve", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        f"casebook: error: cannot listen on 127.0.0.1:{port} (Address already in use); "
        "choose another with --port or CASEBOOK_PORT"
    ]


def test_rebuild_swaps_generations_and_drops_the_old_tables(sqlite_settings: Settings) -> None:
    """Each rebuild makes a new generation active; the one it replaced stays until the
    next swap (for readers still on it), older ones are dropped."""
    env = _env(sqlite_settings)
    assert (
        subprocess.run(
            [*CASEBOOK, "demo"], env=env, capture_output=True, check=False, timeout=300
        ).returncode
        == 0
    )
    for generation in (2, 3):
        r = subprocess.run(
            [*CASEBOOK, "rebuild", "timeline"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert r.returncode == 0, r.stderr
        assert f"timeline rebuilt as generation {generation}" in r.stderr
    db = sqlite3.connect(sqlite_settings.sqlite_path())
    registry = db.execute(
        "SELECT name, generation, position, active FROM "
        "casebook_projections ORDER BY name, generation"
    ).fetchall()
    head = db.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0]
    assert registry == [
        ("candidates", 1, head, 1),
        ("directory", 1, head, 1),
        ("notices", 1, head, 1),
        ("overview", 1, head, 1),
        ("timeline", 2, head, 0),
        ("timeline", 3, head, 1),
    ]
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert {"view_timeline_g2_entries", "view_timeline_g3_entries"} <= tables
    assert "view_timeline_g1_entries" not in tables
    wrong = subprocess.run(
        [*CASEBOOK, "rebuild", "nosuch"], env=env, capture_output=True, text=True, check=False
    )
    assert (wrong.returncode, wrong.stderr.strip()) == (
        1,
        "casebook: error: no read model named 'nosuch' (known: directory, overview, "
        "timeline, candidates, notices, or all)",
    )


def test_the_projection_worker_follows_writes_from_another_process(
    postgres_settings: Settings,
) -> None:
    """`casebook project` keeps the read models current while an API process writes, and
    that API process's reads with min_position wait for it."""

    migrate(postgres_settings)
    worker = subprocess.Popen(
        [*CASEBOOK, "project"], env=_env(postgres_settings), stderr=subprocess.PIPE, text=True
    )
    assert worker.stderr is not None
    # Started (its imports take seconds on a busy machine), so reads need not wait on that.
    assert "following the log" in worker.stderr.readline()
    services = build_services(postgres_settings, run_projections=False)
    try:
        # The worker is a new process: wait for its first heartbeat (its start-up is
        # not what this test measures), then time the reads against it.
        for _ in range(600):
            if workers(services.views):
                break
            time.sleep(0.1)
        client = acting_client(services)
        staff = client.post(
            "/staff", json={"name": "Pia Skovmark", "municipality": "165", "unit": "job_centre"}
        ).json()["id"]
        last = client.post(
            "/companies",
            json={"cvr": "13748136", "name": "Glans ApS", "municipality": "165", "by": staff},
        ).json()
        # This API process has no runners: min_position waits for the worker's NOTIFY.
        hits = client.get(
            "/companies", params={"q": "glans", "min_position": last["position"]}
        ).json()
        assert [h["cvr"] for h in hits] == ["13748136"]
        more = client.post(
            f"/companies/{last['cvr']}/contacts",
            json={
                "by": staff,
                "channel": "phone",
                "summary": "call",
                "occurred_at": "2026-01-15T09:30:00+01:00",
            },
        ).json()
        page = client.get(
            f"/companies/{last['cvr']}/timeline", params={"min_position": more["position"]}
        ).json()
        assert page["entries"][0]["position"] == more["position"]
        # The worker's heartbeat says, in this process, that it listens and follows.
        deadline = time.monotonic() + 10
        while (ready := client.get("/readyz")).status_code != 200:
            assert time.monotonic() < deadline, ready.text
            time.sleep(0.2)
        [status] = ready.json()["workers"]
        assert (status["listening"], status["stale"], status["problems"]) == (True, False, [])
    finally:
        services.close()
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
