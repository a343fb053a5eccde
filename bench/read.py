"""Read latency over HTTP: overview and a 50-entry timeline page of a 10,000-event company,
command-to-visible latency (log a contact, read it back with min_position), the largest
caseload (a person who is contact person of most of the log's companies), and that
company's bitemporal state with and without snapshots; `GET /healthz` beside them as the
framework's floor (a request that does no work).

Run: `.venv/bin/python -m bench.read` (PostgreSQL at CASEBOOK_BENCH_DATABASE_URL or
localhost). The API (`casebook serve`) and the projection worker (`casebook project`)
run as separate processes, as in production; one client sends requests in sequence.
To iterate on the reads: `--keep` leaves the written log in place and prints its schema,
`--schema NAME --quick` measures only the floor and the overview on it.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Annotated

import httpx
import psycopg
import typer
from psycopg.sql import SQL, Identifier
from rich.console import Console

from bench.http import _cpu_seconds, _free_port, _serve
from bench.rebuild import _company_events, write_log
from bench.setup import BENCH_ENV, bench_token
from domain.company import Company
from domain.staff import StaffMember
from domain.values import StaffRole, Unit
from infra.settings import Settings
from services.bootstrap import migrate
from services.eventstore import open_application
from services.read.db import ProjectionDb

console = Console()
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


READER = uuid.UUID("5eadbe0c-0000-4000-8000-000000000001")  # the same in every schema
BIG = "13748136"  # the 10,000-event company


def _quantiles(samples: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(samples, n=100)
    return q[49] * 1000, q[98] * 1000


def _timed(call: object, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        samples.append(time.perf_counter() - started)
    return samples


def _served(client: httpx.Client, pid: int, path: str, n: int) -> tuple[list[float], float]:
    """Latencies of `n` GETs of `path` after a few to warm up, and the API process's CPU
    seconds per request."""
    for _ in range(10):
        client.get(path).raise_for_status()
    cpu = _cpu_seconds(pid)
    samples = _timed(lambda: client.get(path).raise_for_status(), n)
    return samples, (_cpu_seconds(pid) - cpu) / n


def _state_latency(client: httpx.Client, n: int) -> list[float]:
    """GET .../state of the 10,000-event company (after a first read, which stores the
    snapshots it passes when they are on)."""
    client.get(f"/companies/{BIG}/state", timeout=60).raise_for_status()
    return _timed(lambda: client.get(f"/companies/{BIG}/state", timeout=60).raise_for_status(), n)


def _write(settings: Settings, background: int) -> None:
    """The log: `background` events of other companies, then the 10,000-event company."""
    migrate(settings)
    app = open_application(settings)
    write_log(app, background, max(background // 100, 1))
    staff = StaffMember.join(
        staff_id=READER,
        name="Reader",
        municipality="165",
        unit=Unit.JOB_CENTRE,
        role=StaffRole.CONSULTANT,
        municipalities={"165"},
    )
    big = Company.register(
        cvr=BIG,
        name="Glans ApS",
        municipality="165",
        industry="cleaning",
        by=staff.as_actor(),
        municipalities={"165"},
    )
    _company_events(big, staff.as_actor(), random.Random(3), 10_000)
    app.save(staff, big)
    app.close()


def _vacuum(url: str, schema: str) -> None:
    """VACUUM ANALYZE every table of the schema (only of this schema)."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            Identifier(schema, name)
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
            )
        ]
        conn.execute(SQL("VACUUM ANALYZE {0}").format(SQL(", ").join(tables)))


def _print(name: str, samples: list[float], cpu: float | None = None) -> None:
    p50, p99 = _quantiles(samples)
    per = f", API CPU {cpu * 1000:.2f} ms per request" if cpu is not None else ""
    console.print(f"{name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({len(samples)} requests{per})")


def _busiest(client: httpx.Client) -> tuple[str, int]:
    """The staff member who is contact person of the most companies, and how many."""
    caseloads = [
        (
            person,
            len(client.get(f"/staff/{person}/caseload").raise_for_status().json()["companies"]),
        )
        for person in _contact_persons(client)
    ]
    return max(caseloads, key=lambda caseload: caseload[1])


def _contact_persons(client: httpx.Client) -> set[str]:
    hits = client.get("/companies", params={"limit": 200}).raise_for_status().json()
    return {hit["contact_person"]["id"] for hit in hits if hit["contact_person"]}


def _measure(port: int, bare_port: int, pid: int, requests: int, quick: bool) -> None:
    """Every measurement, in sequence, printed as it ends."""
    auth = {"Authorization": f"Bearer {bench_token(READER)}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60, headers=auth) as client:
        _print("floor (GET /healthz)", *_served(client, pid, "/healthz", requests))
        _print("overview", *_served(client, pid, f"/companies/{BIG}", requests))
        if quick:
            return
        _print(
            "timeline page (50)",
            _timed(
                lambda: client.get(
                    f"/companies/{BIG}/timeline", params={"limit": 50}
                ).raise_for_status(),
                requests,
            ),
        )

        def write_then_read() -> None:
            answer = (
                client.post(
                    f"/companies/{BIG}/contacts",
                    json={
                        "by": str(READER),
                        "channel": "phone",
                        "summary": "call",
                        "occurred_at": datetime.now(UTC).isoformat(),
                    },
                )
                .raise_for_status()
                .json()
            )
            client.get(
                f"/companies/{BIG}/timeline",
                params={"limit": 1, "min_position": answer["position"]},
            ).raise_for_status()

        _print("command to visible", _timed(write_then_read, requests // 2))
        busiest = _busiest(client)
        _print(
            f"caseload ({busiest[1]:,} companies)",
            _timed(
                lambda: client.get(f"/staff/{busiest[0]}/caseload").raise_for_status(),
                max(requests // 20, 5),
            ),
        )
        state = _state_latency(client, requests // 5)
        _print("state, with snapshots", state)
    with httpx.Client(base_url=f"http://127.0.0.1:{bare_port}", timeout=60, headers=auth) as client:
        unsnapped_state = _state_latency(client, requests // 5)
    _print("state, without snapshots", unsnapped_state)
    ratio = statistics.median(unsnapped_state) / statistics.median(state)
    console.print(f"state: snapshots make the median {ratio:.1f}x faster")


def main(
    url: Annotated[str, typer.Option(envvar="CASEBOOK_BENCH_DATABASE_URL")] = DEFAULT_URL,
    background: Annotated[
        int,
        typer.Option(
            help=(
                "Events of other companies (with the 10,000-event company: the issue's "
                "500,000-event log)."
            )
        ),
    ] = 490_000,
    requests: Annotated[int, typer.Option(help="Requests per measurement.")] = 500,
    schema: Annotated[
        str | None,
        typer.Option(
            help=(
                "Measure on the log a `--keep` run left in this schema instead of writing one "
                "(the overview read model is rebuilt first, from the code as it is now)."
            )
        ),
    ] = None,
    keep: Annotated[bool, typer.Option(help="Leave the schema in place for `--schema`.")] = False,
    quick: Annotated[bool, typer.Option(help="Only the floor and the overview.")] = False,
    vacuum: Annotated[
        bool,
        typer.Option(
            help=(
                "VACUUM ANALYZE the schema once the read models have caught up, as autovacuum "
                "would in production (a server with autovacuum off reads every counted row's "
                "heap page and plans without statistics)."
            )
        ),
    ] = False,
) -> None:
    """Build the data, start the API and the worker, and measure."""
    reused = schema is not None
    schema = schema or f"bench_{uuid.uuid4().hex[:10]}"
    settings = Settings(database_url=url, postgres_schema=schema, log_level="warning")
    env = {
        **os.environ,
        **BENCH_ENV,
        "CASEBOOK_DATABASE_URL": url,
        "CASEBOOK_POSTGRES_SCHEMA": schema,
        "CASEBOOK_LOG_LEVEL": "warning",
    }
    cli = [sys.executable, "-m", "services.cli"]
    if reused:
        subprocess.run([*cli, "migrate"], env=env, check=True)
        subprocess.run([*cli, "rebuild", "overview"], env=env, check=True)
    else:
        _write(settings, background)
    app = open_application(settings)
    head = app.last_position()
    app.close()
    worker = subprocess.Popen(
        [*cli, "project"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    port, bare_port = _free_port(), _free_port()
    server = _serve([*cli, "serve", "--port", str(port)], env, port)
    # The same API without state snapshots, for the ratio.
    unsnapped = _serve(
        [*cli, "serve", "--port", str(bare_port)],
        {**env, "CASEBOOK_STATE_SNAPSHOT_EVERY": "0"},
        bare_port,
    )
    views = ProjectionDb(settings)
    try:
        while any(
            (views.active_generation(n) or (0, 0))[1] < head
            for n in ("directory", "overview", "timeline")
        ):
            time.sleep(0.5)
        if vacuum:
            _vacuum(url, schema)
        _measure(port, bare_port, server.pid, requests, quick)
    finally:
        views.close()
        for process in (unsnapped, server, worker):
            process.terminate()
            process.wait(30)
        if keep:
            console.print(f"kept: --schema {schema}")
        else:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(schema)))


if __name__ == "__main__":
    typer.run(main)
