"""Write throughput on PostgreSQL: the library's path, casebook's group commit, raw INSERTs.

Run: `make bench` (or `.venv/bin/python -m bench.write --help`). Everything is
measured in one run on the same database; each figure is the median of
--repeats runs, and the ratios compare figures from this same run.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import psycopg
import typer
from eventsourcing.persistence import IntegrityError
from psycopg.sql import SQL, Identifier
from rich.console import Console
from rich.table import Table

from bench.http import measure_http
from bench.setup import COMPANIES, company_cvrs, seed
from domain.company import Company
from domain.parts import Actor
from domain.values import Unit, company_id
from infra.settings import Settings
from services.bootstrap import migrate
from services.eventstore import open_application
from services.write import companies as commands
from services.write.committer import GroupCommitter

console = Console()
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


@contextmanager
def fresh_schema(url: str) -> Iterator[Settings]:
    """Settings for a new, migrated schema, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    settings = Settings(
        database_url=url, postgres_schema=schema, db_pool_size=16, log_level="warning"
    )
    migrate(settings)
    try:
        yield settings
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(schema)))


def run_writers(writers: int, total: int, one: Callable[[int], None]) -> float:
    """Run `total` calls of `one` spread over `writers` threads; return calls per second."""
    per_writer = total // writers
    barrier = threading.Barrier(writers + 1)

    def worker(w: int) -> None:
        barrier.wait()
        for i in range(per_writer):
            one(w * per_writer + i)

    with ThreadPoolExecutor(writers) as pool:
        futures = [pool.submit(worker, w) for w in range(writers)]
        barrier.wait()
        started = time.perf_counter()
        for f in futures:
            f.result()
        elapsed = time.perf_counter() - started
    return per_writer * writers / elapsed


def library_path(url: str, writers: int, total: int) -> float:
    """(a) get, decide, app.save() per command: one transaction per event."""
    with fresh_schema(url) as settings:
        app = open_application(settings)
        staff = seed(app)
        actor = Actor(staff, "165", Unit.JOB_CENTRE, True)
        cvrs = company_cvrs()

        def one(i: int) -> None:
            while True:
                company: object = app.repository.get(company_id(cvrs[i % COMPANIES]))
                assert isinstance(company, Company)
                now = datetime.now(UTC)
                company.log_contact(
                    contact_id=uuid.uuid4(),
                    by=actor,
                    channel="phone",
                    occurred_at=now,
                    summary=f"call {i}",
                    topics=[],
                    now=now,
                )
                try:
                    app.save(company)
                    return
                except IntegrityError:
                    continue

        rate = run_writers(writers, total, one)
        app.close()
        return rate


def casebook_path(url: str, writers: int, total: int) -> float:
    """(b) casebook's command path: GroupCommitter.submit from concurrent writers."""
    with fresh_schema(url) as settings:
        app = open_application(settings)
        staff = seed(app)
        committer = GroupCommitter(app)
        cvrs = company_cvrs()

        def one(i: int) -> None:
            now = datetime.now(UTC)
            committer.submit(
                commands.log_contact(
                    cvr=cvrs[i % COMPANIES],
                    by=staff,
                    contact_id=uuid.uuid4(),
                    channel="phone",
                    occurred_at=now,
                    summary=f"call {i}",
                    topics=[],
                    now=now,
                )
            )

        rate = run_writers(writers, total, one)
        committer.close()
        app.close()
        return rate


def raw_inserts(url: str, writers: int, total: int) -> float:
    """(c) raw psycopg: one INSERT transaction per row, a connection per writer."""
    table = f"bench_raw_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            SQL(
                "CREATE TABLE {0} (id bigserial PRIMARY KEY, stream uuid, version int, state bytea)"
            ).format(Identifier(table))
        )
    connections = [psycopg.connect(url, autocommit=True) for _ in range(writers)]
    payload = b'{"summary": "call", "channel": "phone", "topics": []}' * 3
    insert = SQL("INSERT INTO {0} (stream, version, state) VALUES (%s, %s, %s)").format(
        Identifier(table)
    )

    def one(i: int) -> None:
        connections[i * writers // total].execute(insert, (uuid.uuid4(), i, payload))

    try:
        return run_writers(writers, total, one)
    finally:
        for c in connections:
            c.close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SQL("DROP TABLE {0}").format(Identifier(table)))


def median_of(repeats: int, measure: Callable[[], float]) -> float:
    """The median of `repeats` measurements."""
    return statistics.median(measure() for _ in range(repeats))


def main(
    url: Annotated[str, typer.Option(envvar="CASEBOOK_BENCH_DATABASE_URL")] = DEFAULT_URL,
    total: Annotated[int, typer.Option(help="Commands per measurement.")] = 4000,
    repeats: Annotated[int, typer.Option(help="Runs per figure (median).")] = 3,
    http: Annotated[bool, typer.Option(help="Also run the HTTP benchmark.")] = True,
    http_seconds: Annotated[float, typer.Option(help="Seconds per HTTP run.")] = 10.0,
) -> None:
    """Measure and print events/s for (a), (b) and (c), their ratios, and the HTTP figures."""
    rows: dict[str, float] = {}
    plan: list[tuple[str, Callable[[], float]]] = [
        ("(a) library, 1 writer", lambda: library_path(url, 1, total // 2)),
        ("(a) library, 16 writers", lambda: library_path(url, 16, total)),
        ("(c) raw INSERT, 1 writer", lambda: raw_inserts(url, 1, total)),
        ("(c) raw INSERT, 16 writers", lambda: raw_inserts(url, 16, total)),
    ] + [
        (f"(b) casebook, {w} writers", lambda w=w: casebook_path(url, w, total))  # type: ignore[misc]
        for w in (1, 4, 16, 64)
    ]
    for name, measure in plan:
        with console.status(f"measuring {name}"):
            rows[name] = median_of(repeats, measure)
        console.print(f"{name}: {rows[name]:,.0f} events/s")
    table = Table(title=f"writes on PostgreSQL, median of {repeats} runs of {total} commands")
    table.add_column("path")
    table.add_column("events/s", justify="right")
    for name, rate in rows.items():
        table.add_row(name, f"{rate:,.0f}")
    console.print(table)
    for writers in (16, 64):
        b = rows[f"(b) casebook, {writers} writers"]
        console.print(
            f"casebook at {writers} writers: {b / rows['(a) library, 1 writer']:.1f}x (a) "
            f"1 writer, {b / rows['(a) library, 16 writers']:.1f}x (a) 16 writers, "
            f"{b / rows['(c) raw INSERT, 1 writer']:.1f}x (c) 1 writer, "
            f"{b / rows['(c) raw INSERT, 16 writers']:.1f}x (c) 16 writers"
        )
    if http:
        measure_http(url, console, seconds=http_seconds, repeats=repeats)


if __name__ == "__main__":
    typer.run(main)
