"""Read latency over HTTP: overview and a 50-entry timeline page of a 10,000-event company,
command-to-visible latency (log a contact, read it back with min_position), and that
company's bitemporal state with and without snapshots.

Run: `.venv/bin/python -m bench.read` (PostgreSQL at CASEBOOK_BENCH_DATABASE_URL or
localhost). The API (`casebook serve`) and the projection worker (`casebook project`)
run as separate processes, as in production; one client sends requests in sequence.
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

from bench.http import _free_port, _serve
from bench.rebuild import _company_events, write_log
from bench.setup import BENCH_SECRETS, bench_token
from domain.company import Company
from domain.staff import StaffMember
from domain.values import StaffRole, Unit
from infra.settings import Settings
from services.application import migrate, open_application
from services.views import ViewDb

console = Console()
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


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


def _state_latency(client: httpx.Client, n: int) -> list[float]:
    """GET .../state of the 10,000-event company (after a first read, which stores the
    snapshots it passes when they are on)."""
    client.get("/companies/13748136/state", timeout=60).raise_for_status()
    return _timed(lambda: client.get("/companies/13748136/state",
                                     timeout=60).raise_for_status(), n)


def main(
    url: Annotated[str, typer.Option(envvar="CASEBOOK_BENCH_DATABASE_URL")] = DEFAULT_URL,
    background: Annotated[int, typer.Option(help=(
        "Events of other companies (with the 10,000-event company: the issue's "
        "500,000-event log)."))] = 490_000,
    requests: Annotated[int, typer.Option(help="Requests per measurement.")] = 500,
) -> None:
    """Build the data, start the API and the worker, and measure."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    settings = Settings(database_url=url, postgres_schema=schema, log_level="warning")
    migrate(settings)
    app = open_application(settings)
    write_log(app, background, max(background // 100, 1))
    staff = StaffMember.join(staff_id=uuid.uuid4(), name="Reader", municipality="165",
                             unit=Unit.JOB_CENTRE, role=StaffRole.CONSULTANT,
                             municipalities={"165"})
    big = Company.register(cvr="13748136", name="Glans ApS", municipality="165",
                           industry="cleaning", by=staff.as_actor(), municipalities={"165"})
    _company_events(big, staff.as_actor(), random.Random(3), 10_000)
    app.save(staff, big)
    head = app.last_position()
    app.close()
    env = {**os.environ, **BENCH_SECRETS, "CASEBOOK_DATABASE_URL": url,
           "CASEBOOK_POSTGRES_SCHEMA": schema, "CASEBOOK_LOG_LEVEL": "warning"}
    cli = [sys.executable, "-m", "services.cli"]
    worker = subprocess.Popen([*cli, "project"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    port, bare_port = _free_port(), _free_port()
    server = _serve([*cli, "serve", "--port", str(port)], env, port)
    # The same API without state snapshots, for the ratio.
    unsnapped = _serve([*cli, "serve", "--port", str(bare_port)],
                       {**env, "CASEBOOK_STATE_SNAPSHOT_EVERY": "0"}, bare_port)
    views = ViewDb(settings)
    try:
        while any((views.active_generation(n) or (0, 0))[1] < head
                  for n in ("directory", "overview", "timeline")):
            time.sleep(0.5)
        auth = {"Authorization": f"Bearer {bench_token(staff.id)}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60,
                          headers=auth) as client:
            overview = _timed(lambda: client.get("/companies/13748136").raise_for_status(),
                              requests)
            page = _timed(lambda: client.get("/companies/13748136/timeline",
                                             params={"limit": 50}).raise_for_status(),
                          requests)

            def write_then_read() -> None:
                answer = client.post("/companies/13748136/contacts", json={
                    "by": str(staff.id), "channel": "phone", "summary": "call",
                    "occurred_at": datetime.now(UTC).isoformat()}).raise_for_status().json()
                client.get("/companies/13748136/timeline", params={
                    "limit": 1, "min_position": answer["position"]}).raise_for_status()

            visible = _timed(write_then_read, requests // 2)
            state = _state_latency(client, requests // 5)
        with httpx.Client(base_url=f"http://127.0.0.1:{bare_port}", timeout=60,
                          headers=auth) as client:
            unsnapped_state = _state_latency(client, requests // 5)
        for name, samples in (("overview", overview), ("timeline page (50)", page),
                              ("command to visible", visible),
                              ("state, with snapshots", state),
                              ("state, without snapshots", unsnapped_state)):
            p50, p99 = _quantiles(samples)
            console.print(f"{name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({len(samples)} requests)")
        ratio = statistics.median(unsnapped_state) / statistics.median(state)
        console.print(f"state: snapshots make the median {ratio:.1f}x faster")
    finally:
        views.close()
        unsnapped.terminate()
        unsnapped.wait(30)
        server.terminate()
        worker.terminate()
        server.wait(30)
        worker.wait(30)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(schema)))


if __name__ == "__main__":
    typer.run(main)
