"""HTTP: log-contact requests/s and latency at 16 clients, against a bare INSERT endpoint.

The load client is a small asyncio HTTP/1.1 keep-alive client in this process
(16 connections on loopback); the servers are separate processes.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
from psycopg.sql import SQL, Identifier
from rich.console import Console

from bench.setup import BENCH_ENV, COMPANIES, bench_token, company_cvrs, seeded_schema

CLIENTS = 16
TOKEN = [""]  # the bearer token every request sends (set by measure_http)


@dataclass
class Load:
    """What one load run saw."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    peak_rss_mb: float
    cpu_us_per_request: float


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def request(method: str, path: str, token: str, body: bytes = b"", extra: str = "") -> bytes:
    """One HTTP/1.1 request's bytes (`extra`: more header lines, each ending CRLF)."""
    return (
        f"{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json"
        f"\r\nAuthorization: Bearer {token}\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, message: bytes
) -> bytes:
    """Send one request on a keep-alive connection and read its answer; the status line."""
    writer.write(message)
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("the server closed the connection")
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    return status_line


async def _client(
    port: int,
    paths: list[str],
    body: bytes,
    until: float,
    latencies: list[float],
    errors: list[int],
    start: int = 0,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    n = start
    while time.perf_counter() < until:
        path = paths[n % len(paths)]
        n += 1
        started = time.perf_counter()
        status_line = await exchange(reader, writer, request("POST", path, TOKEN[0], body))
        latencies.append(time.perf_counter() - started)
        if b" 201 " not in status_line:
            errors.append(1)
    writer.close()


def _load(
    port: int,
    paths: list[str],
    body: bytes,
    seconds: float,
    *,
    spread: bool = False,
    clients: int = CLIENTS,
) -> tuple[int, float, list[float], int]:
    """`clients` keep-alive clients for `seconds`, cycling through the paths, all from the
    first one, or (`spread`) each from its own share of them: different companies at
    once, as different consultants' work is."""
    latencies: list[float] = []
    errors: list[int] = []

    async def run() -> float:
        until = time.perf_counter() + seconds
        started = time.perf_counter()
        await asyncio.gather(
            *(
                _client(
                    port,
                    paths,
                    body,
                    until,
                    latencies,
                    errors,
                    i * len(paths) // clients if spread else 0,
                )
                for i in range(clients)
            )
        )
        return time.perf_counter() - started

    elapsed = asyncio.run(run())
    return len(latencies), elapsed, latencies, len(errors)


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int, key: str = "VmHWM") -> float:
    """A process's memory figure from /proc: its peak RSS (VmHWM) or its RSS (VmRSS)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def serve_and_project(
    url: str, schema: str
) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes], int]:
    """`casebook serve` (answering) and `casebook project` as processes on this schema,
    as in production: the server, the worker, and the server's port."""
    env = {
        **os.environ,
        **BENCH_ENV,
        "CASEBOOK_DATABASE_URL": url,
        "CASEBOOK_POSTGRES_SCHEMA": schema,
        "CASEBOOK_LOG_LEVEL": "warning",
    }
    cli = [sys.executable, "-m", "services.cli"]
    worker = subprocess.Popen(
        [*cli, "project"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    port = _free_port()
    return _serve([*cli, "serve", "--port", str(port)], env, port), worker, port


def _serve(
    cmd: list[str], env: dict[str, str], port: int, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start a server and wait until it answers. (`python -m` puts the working directory
    first on the path: a server meant to run other code than this checkout's is started
    in that code's directory.)"""
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs")
            return proc
        except httpx.ConnectError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server {cmd} did not start")


def _run(
    cmd: list[str], env: dict[str, str], paths: list[str], body: bytes, seconds: float
) -> Load:
    port = _free_port()
    proc = _serve(cmd, {**env, "CASEBOOK_BENCH_PORT": str(port)}, port)
    try:
        _load(port, paths, body, 1.0)  # warm up
        cpu = _cpu_seconds(proc.pid)
        count, elapsed, latencies, errors = _load(port, paths, body, seconds)
        cpu = _cpu_seconds(proc.pid) - cpu
        rss = memory_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)
    q = statistics.quantiles(latencies, n=100)
    return Load(count / elapsed, q[49] * 1000, q[98] * 1000, errors, rss, cpu / count * 1e6)


def contact_body(staff: uuid.UUID) -> bytes:
    """The body of a log-contact command by this staff member, as the load sends it."""
    return json.dumps(
        {
            "by": str(staff),
            "channel": "phone",
            "summary": "Talked about hires",
            "occurred_at": datetime.now(UTC).isoformat(),
            "topics": [],
        }
    ).encode()


def measure_http(url: str, console: Console, *, seconds: float, repeats: int) -> None:
    """Run casebook and the bare endpoint alternately; print medians and the ratio."""
    schema, staff = seeded_schema(url)
    table = f"bench_bare_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            SQL("CREATE TABLE {0} (id bigserial PRIMARY KEY, body text)").format(Identifier(table))
        )
    body = contact_body(staff)
    TOKEN[0] = bench_token(staff)  # both servers get the same header bytes
    env = {
        **os.environ,
        **BENCH_ENV,
        "CASEBOOK_DATABASE_URL": url,
        "CASEBOOK_POSTGRES_SCHEMA": schema,
        "CASEBOOK_DB_POOL_SIZE": "16",
        "CASEBOOK_BENCH_DATABASE_URL": url,
        "CASEBOOK_BENCH_TABLE": table,
    }
    cvr_paths = [f"/companies/{cvr}/contacts" for cvr in company_cvrs()[:COMPANIES]]
    casebook: list[Load] = []
    bare: list[Load] = []
    try:
        for _ in range(repeats):
            with console.status("HTTP: casebook"):
                casebook.append(
                    _run(
                        [
                            sys.executable,
                            "-c",
                            "import os, sys; from services.cli.main import main; "
                            "sys.argv=['casebook','serve','--port',os.environ['CASEBOOK_BENCH_PORT']];"
                            " main()",
                        ],
                        env,
                        cvr_paths,
                        body,
                        seconds,
                    )
                )
            with console.status("HTTP: bare endpoint"):
                bare.append(
                    _run([sys.executable, "-m", "bench.bare"], env, ["/contacts"], body, seconds)
                )
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SQL("DROP TABLE {0}").format(Identifier(table)))
            conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(schema)))
    _report(console, casebook, bare)


def _median(loads: list[Load], field: str) -> float:
    return float(statistics.median(getattr(load, field) for load in loads))


def _report(console: Console, casebook: list[Load], bare: list[Load]) -> None:
    for name, loads in (("casebook log-contact", casebook), ("bare INSERT endpoint", bare)):
        console.print(
            f"HTTP {name}, {CLIENTS} clients: {_median(loads, 'requests_per_second'):,.0f} "
            f"req/s, p50 {_median(loads, 'p50_ms'):.1f} ms, p99 {_median(loads, 'p99_ms'):.1f}"
            f" ms, server CPU {_median(loads, 'cpu_us_per_request'):.0f} us/request, errors "
            f"{sum(x.errors for x in loads)}, peak RSS {max(x.peak_rss_mb for x in loads):.0f} MB"
        )
    ratio = _median(casebook, "requests_per_second") / _median(bare, "requests_per_second")
    console.print(f"HTTP casebook / bare endpoint throughput: {ratio:.2f}")
