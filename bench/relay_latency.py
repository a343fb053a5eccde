"""End-to-end latency: from a command's commit to a NATS consumer receiving its event.

Run: `.venv/bin/python -m bench.relay_latency --rate 500 --seconds 60` (PostgreSQL at
CASEBOOK_BENCH_DATABASE_URL or localhost; NATS at --nats-url, else a throwaway
nats-server). Production layout: `casebook relay` runs as a process of its own,
woken by the event store's NOTIFY; this process writes `log_contact` commands
through casebook's command path (GroupCommitter) at a steady rate and consumes
the stream with a push consumer. Latency = the consumer's receipt minus the
moment the command's commit returned (one clock: both happen in this process).
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import nats
import typer
from rich.console import Console

from bench.relay import clean_up, throwaway_nats
from bench.setup import COMPANIES, company_cvrs, seed
from infra.settings import Settings
from services.bootstrap import migrate
from services.eventstore import open_application
from services.write import companies as commands
from services.write.committer import GroupCommitter

console = Console()
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
WRITERS = 16


def _write(
    committer: GroupCommitter,
    staff: uuid.UUID,
    rate: float,
    seconds: float,
    committed: dict[int, float],
    lane: int = 0,
    lanes: int = 1,
    started: float = 0.0,
) -> None:
    """Every `lanes`-th command of a steady rate; record when each one's commit returned."""
    cvrs = company_cvrs()
    for i in range(lane, int(rate * seconds), lanes):
        delay = started + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        now = datetime.now(UTC)
        result = committer.submit(
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
        committed[result.position] = time.monotonic()


async def _consume(
    settings: Settings,
    received: dict[int, float],
    finished: list[float],
    committed: dict[int, float],
    ready: threading.Event,
) -> None:
    """Receive the stream until every command's event arrived (or 10 s after the last)."""
    nc = await nats.connect(settings.nats_url or "")
    js = nc.jetstream()
    while True:  # the relay creates the stream
        try:
            await js.stream_info(settings.nats_stream)
            break
        except nats.js.errors.NotFoundError:
            await asyncio.sleep(0.1)

    async def on_message(msg: Any) -> None:
        received[int(msg.headers["ce-sequence"])] = time.monotonic()

    await js.subscribe(
        f"{settings.nats_subject_prefix}.>",
        stream=settings.nats_stream,
        cb=on_message,
        ordered_consumer=True,
    )
    ready.set()  # the relay is up (it made the stream) and we are subscribed
    while not finished or (
        not committed.keys() <= received.keys() and time.monotonic() < finished[0] + 10
    ):
        await asyncio.sleep(0.05)
    await nc.close()


def main(
    url: Annotated[str, typer.Option(envvar="CASEBOOK_BENCH_DATABASE_URL")] = DEFAULT_URL,
    nats_url: Annotated[
        str | None, typer.Option(help="NATS server [default: a throwaway one].")
    ] = None,
    rate: Annotated[float, typer.Option(help="Commands per second.")] = 500.0,
    seconds: Annotated[float, typer.Option(help="How long to write.")] = 60.0,
) -> None:
    """Write at a steady rate with `casebook relay` running; print latency percentiles."""
    schema, store = f"bench_{uuid.uuid4().hex[:10]}", Path(tempfile.mkdtemp())
    server = None
    if nats_url is None:
        nats_url, server = throwaway_nats(store)
    stream = f"LAT_{uuid.uuid4().hex[:8].upper()}"
    settings = Settings(
        database_url=url,
        postgres_schema=schema,
        nats_url=nats_url,
        nats_stream=stream,
        nats_subject_prefix=stream.lower(),
        log_level="warning",
    )
    migrate(settings)
    app = open_application(settings)
    staff = seed(app)
    env = {
        **os.environ,
        "CASEBOOK_DATABASE_URL": url,
        "CASEBOOK_POSTGRES_SCHEMA": schema,
        "CASEBOOK_NATS_URL": nats_url,
        "CASEBOOK_NATS_STREAM": stream,
        "CASEBOOK_NATS_SUBJECT_PREFIX": settings.nats_subject_prefix,
        "CASEBOOK_LOG_LEVEL": "warning",
    }
    relay = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "relay"], env=env, stderr=subprocess.DEVNULL
    )
    committer = GroupCommitter(app)
    committed: dict[int, float] = {}
    received: dict[int, float] = {}
    finished: list[float] = []
    ready = threading.Event()

    def write() -> None:
        ready.wait()
        started = time.monotonic()
        lanes = [
            threading.Thread(
                target=_write,
                args=(committer, staff, rate, seconds, committed, lane, WRITERS, started),
            )
            for lane in range(WRITERS)
        ]  # concurrent like API requests: a slow commit
        for thread in lanes:  # does not hold back the ones due after it
            thread.start()
        for thread in lanes:
            thread.join()
        finished.append(time.monotonic())
        finished.append(finished[0] - started)

    try:
        writer = threading.Thread(target=write)
        writer.start()
        asyncio.run(_consume(settings, received, finished, committed, ready))
        writer.join()
        latencies = sorted((received[p] - t) * 1000 for p, t in committed.items() if p in received)
        q = statistics.quantiles(latencies, n=100)
        console.print(
            f"{len(committed):,} commands in {finished[1]:.1f} s (asked: {rate:.0f}/s "
            f"for {seconds:.0f} s); "
            f"{len(latencies):,} received; commit -> consumer p50 {q[49]:.1f} ms, "
            f"p99 {q[98]:.1f} ms, max {latencies[-1]:.1f} ms"
        )
    finally:
        committer.close()
        app.close()
        relay.send_signal(signal.SIGTERM)
        relay.wait(30)
        clean_up(server, store, url, schema)


if __name__ == "__main__":
    typer.run(main)
