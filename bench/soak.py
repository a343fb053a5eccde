"""Soak: a mixed load at a fixed rate for a long time, and what it leaves behind.

Reads 90 % (a company's overview, a 50-entry timeline page, a directory search, a
caseload), writes 10 % (log a contact, each with an Idempotency-Key of its own) from 32
keep-alive clients at a fixed rate (default 200 requests/s) for `--minutes` (default
10). Requests are sent on a fixed schedule and each latency is counted from the moment
its request was due, so a slow server is not hidden by clients that waited for it.
Printed: errors, p99 per minute, the API process's RSS per minute and whether it stayed
flat (the last 10 minutes' mean at most 1.1 times the first 10 minutes'; in a run
shorter than 20 minutes, the last third against the first), PostgreSQL table and index
growth per 1,000 commands, and the idempotency records kept.

Run: `.venv/bin/python -m bench.soak [--minutes 10] [--rate 200]` (PostgreSQL at
CASEBOOK_BENCH_DATABASE_URL or localhost). `casebook serve` and `casebook project` run
as separate processes, as in production, on a schema of their own (dropped after).
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

import httpx
import psycopg
import typer
from psycopg.sql import SQL, Identifier
from rich.console import Console

from bench.http import exchange, memory_mb, request, serve_and_project
from bench.setup import bench_token, company_cvrs, seeded_schema

console = Console(soft_wrap=True)
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
CLIENTS = 32
WRITES = 0.10
WARM_UP_SECONDS = 15


@dataclass
class Minute:
    """What the requests due in one minute saw."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    commands: int = 0
    rss_mb: float = float("nan")


@dataclass
class Snapshot:
    """The schema at one moment: each table's size and its indexes' (bytes), and the
    idempotency records kept."""

    sizes: dict[str, tuple[int, int]]
    idempotency_records: int


@dataclass
class Load:
    """The schedule the clients share, and what they saw."""

    port: int
    token: str
    staff: str
    cvrs: list[str]
    rate: float
    start: float
    end: float
    minutes: dict[int, Minute] = field(default_factory=lambda: defaultdict(Minute))
    sent: int = 0
    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def due(self) -> float | None:
        """When the next request is due, or None once the run is over."""
        at = self.start + self.sent / self.rate
        self.sent += 1
        return at if at < self.end else None

    def message(self, rng: random.Random) -> tuple[bytes, bool]:
        """A request of the mix, and whether it is a command."""
        cvr = rng.choice(self.cvrs)
        if rng.random() < WRITES:
            body = {
                "by": self.staff,
                "channel": "phone",
                "summary": "Soak: talked about an opening",
                "occurred_at": datetime.now(UTC).isoformat(),
                "topics": [],
            }
            key = f"Idempotency-Key: soak-{uuid.uuid4().hex}\r\n"
            path = f"/companies/{cvr}/contacts"
            return request("POST", path, self.token, json.dumps(body).encode(), key), True
        path = rng.choice(
            (
                f"/companies/{cvr}",
                f"/companies/{cvr}/timeline?limit=50",
                f"/companies?q=Bench+{rng.randrange(100)}",
                f"/staff/{self.staff}/caseload",
            )
        )
        return request("GET", path, self.token), False


async def _client(load: Load, seed_: int) -> None:
    rng = random.Random(seed_)
    reader, writer = await asyncio.open_connection("127.0.0.1", load.port)
    while (at := load.due()) is not None:
        if (wait := at - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        message, command = load.message(rng)
        try:
            status = await exchange(reader, writer, message)
            ok, failure = status.split()[1] in (b"200", b"201"), status.decode().strip()
        except (ConnectionError, asyncio.IncompleteReadError) as e:
            ok, failure = False, type(e).__name__
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", load.port)
        if at < load.start:
            continue  # the warm-up
        if not ok:
            load.failures[failure] += 1
        minute = load.minutes[int((at - load.start) // 60)]
        minute.latencies.append(time.perf_counter() - at)
        minute.errors += not ok
        minute.commands += ok and command
    writer.close()


def _caught_up(port: int) -> None:
    """Wait (at most a minute) until the read models hold the seeded companies."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).json()
        if ready["views"] and all(v["lag"] == 0 for v in ready["views"]):
            return
        time.sleep(0.2)
    raise RuntimeError(f"the read models did not catch up: {ready}")


async def _watch_rss(load: Load, pid: int) -> None:
    """The API process's RSS at the end of each minute (and of the run)."""
    n = 0
    while (begins := load.start + n * 60) < load.end:
        await asyncio.sleep(max(0.0, min(begins + 60, load.end) - time.perf_counter()))
        load.minutes[n].rss_mb = memory_mb(pid, "VmRSS")
        n += 1


async def _run(load: Load, pid: int, url: str, schema: str, before: list[Snapshot]) -> None:
    async def snapshot() -> None:
        await asyncio.sleep(max(0.0, load.start - time.perf_counter()))
        before.append(await asyncio.to_thread(_snapshot, url, schema))

    await asyncio.gather(
        snapshot(), _watch_rss(load, pid), *(_client(load, n) for n in range(CLIENTS))
    )


def _sizes(url: str, schema: str) -> dict[str, tuple[int, int]]:
    """Each table of the schema: its size (with TOAST) and its indexes' size, in bytes."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r'",
            (schema,),
        ).fetchall()
    return {name: (int(table), int(index)) for name, table, index in rows}


def _snapshot(url: str, schema: str) -> Snapshot:
    """The schema's table and index sizes, and how many idempotency records it keeps."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            SQL("SELECT count(*) FROM {0}").format(Identifier(schema, "casebook_idempotency"))
        ).fetchone()
    return Snapshot(_sizes(url, schema), int(row[0]) if row else 0)


def _flat(rss: list[float]) -> tuple[str, float, float, bool]:
    """The RSS check: its name, the early and late means, and whether it holds."""
    if len(rss) >= 20:
        name, early, late = "last 10 min vs first 10", rss[:10], rss[-10:]
    else:
        third = max(len(rss) // 3, 1)
        name, early, late = "last third vs first third", rss[:third], rss[-third:]
    first, last = statistics.mean(early), statistics.mean(late)
    return name, first, last, last <= 1.1 * first


def _p99_ms(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98] * 1000 if len(latencies) > 1 else 0.0


def _report(load: Load, before: Snapshot, after: Snapshot) -> None:
    minutes = [load.minutes[n] for n in sorted(load.minutes)]
    console.print("minute  requests  errors  p99 ms  RSS MB")
    for n, m in enumerate(minutes, 1):
        console.print(
            f"{n:>6}  {len(m.latencies):>8}  {m.errors:>6}  {_p99_ms(m.latencies):>6.1f}  "
            f"{m.rss_mb:>6.1f}"
        )
    requests = sum(len(m.latencies) for m in minutes)
    commands = sum(m.commands for m in minutes)
    console.print(
        f"{requests:,} requests in {len(minutes)} min ({requests / (load.end - load.start):.0f}"
        f"/s), {commands:,} commands, errors {sum(m.errors for m in minutes)}"
        + (f" ({dict(load.failures)})" if load.failures else "")
        + f"; p99 {_p99_ms([x for m in minutes for x in m.latencies]):.1f} ms overall, "
        f"worst minute {max(_p99_ms(m.latencies) for m in minutes):.1f} ms"
    )
    name, first, last, holds = _flat([m.rss_mb for m in minutes if m.rss_mb == m.rss_mb])
    console.print(
        f"API RSS {name}: {first:.1f} -> {last:.1f} MB ({last / first:.3f}x): "
        + ("flat" if holds else "GROWS (more than 1.1x)")
    )
    _growth(before, after, commands)


def _growth(before: Snapshot, after: Snapshot, commands: int) -> None:
    per = 1000 / max(commands, 1)
    growth: dict[str, tuple[float, float]] = {}
    for t, (table, index) in after.sizes.items():
        was_table, was_index = before.sizes.get(t, (0, 0))
        growth[t] = ((table - was_table) * per, (index - was_index) * per)
    tables, indexes = sum(g[0] for g in growth.values()), sum(g[1] for g in growth.values())
    console.print(
        f"PostgreSQL growth per 1,000 commands: tables {tables / 1024:,.0f} KB, "
        f"indexes {indexes / 1024:,.0f} KB; the largest:"
    )
    for t, (grown, grown_index) in sorted(growth.items(), key=lambda g: -sum(g[1]))[:6]:
        console.print(f"  {t}: table {grown / 1024:,.0f} KB, indexes {grown_index / 1024:,.0f} KB")
    added = after.idempotency_records - before.idempotency_records
    console.print(
        f"idempotency records kept: {after.idempotency_records:,} ({added:,} added by the "
        f"run's {commands:,} commands; none expire)"
    )


def main(
    minutes: Annotated[float, typer.Option(help="How long to run the load.")] = 10,
    rate: Annotated[float, typer.Option(help="Requests per second, all clients.")] = 200,
    url: Annotated[str, typer.Option(envvar="CASEBOOK_BENCH_DATABASE_URL")] = DEFAULT_URL,
) -> None:
    """Start the service on a schema of its own, soak it, report and drop the schema."""
    schema, staff = seeded_schema(url)
    server, worker, port = serve_and_project(url, schema)
    try:
        _caught_up(port)
        start = time.perf_counter() + WARM_UP_SECONDS
        load = Load(port, bench_token(staff), str(staff), company_cvrs(), rate, start,
                    start + minutes * 60)  # fmt: skip
        load.sent = -int(WARM_UP_SECONDS * rate)  # the warm-up's requests, not counted
        before: list[Snapshot] = []
        asyncio.run(_run(load, server.pid, url, schema, before))
        _report(load, before[0], _snapshot(url, schema))
    finally:
        for process in (server, worker):
            process.terminate()
            process.wait(30)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(schema)))


if __name__ == "__main__":
    typer.run(main)
