"""Writes through HAProxy to one `casebook serve` process and to three, on one PostgreSQL.

Run: `.venv/bin/python -m bench.cluster` (PostgreSQL at CASEBOOK_BENCH_DATABASE_URL or
localhost; Debian's HAProxy, `make haproxy`). One `casebook project` worker follows the
log throughout, as in production. The same HAProxy (round robin, keep-alive) fronts
either one API process or three; `--clients` keep-alive clients (default 64) log
contacts for `--seconds`
(after a second of warm-up), each client on its own share of 200 companies (as
different consultants work on different companies); the set-ups take turns for
`--repeats` rounds.
Prints commands/s (every answer a 201), p50/p99 and the ratio three / one of the
medians: whether writes from three processes together commit at least as fast as
from one (they share one PostgreSQL and its group commits).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import httpx
import psycopg
import typer
from psycopg.sql import SQL, Identifier
from rich.console import Console

from bench.http import TOKEN, _free_port, _load, _serve, contact_body
from bench.setup import BENCH_ENV, COMPANIES, bench_token, company_cvrs, seeded_schema

console = Console()
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
HAPROXY = """global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
frontend api
    bind 127.0.0.1:{port}
    default_backend casebook
backend casebook
{balance}
{servers}
"""
ROUND_ROBIN = "    balance roundrobin"
# Each company's requests to one process (the first two path segments, /companies/{cvr},
# hashed consistently): its cached aggregates stay current, and a process lost moves
# only its own companies to the others.
BY_COMPANY = "    balance uri depth 2\n    hash-type consistent"


def _balancer(
    ports: list[int], folder: Path, balance: str = ROUND_ROBIN
) -> tuple[subprocess.Popen[bytes], int]:
    """HAProxy in front of these API ports; it and its port, once it answers."""
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    port = _free_port()
    servers = "\n".join(f"    server api{i} 127.0.0.1:{p}" for i, p in enumerate(ports))
    config = folder / f"haproxy-{len(ports)}-{port}.cfg"
    config.write_text(HAPROXY.format(port=port, servers=servers, balance=balance))
    proc = subprocess.Popen([binary, "-f", str(config)], stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz")
            return proc, port
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("HAProxy did not start")


def main(
    url: Annotated[str, typer.Option(envvar="CASEBOOK_BENCH_DATABASE_URL")] = DEFAULT_URL,
    seconds: Annotated[float, typer.Option(help="Load per round and set-up.")] = 10.0,
    repeats: Annotated[int, typer.Option(help="Rounds (one and three take turns).")] = 3,
    clients: Annotated[int, typer.Option(help="Keep-alive clients at once.")] = 64,
    by_company: Annotated[
        bool, typer.Option(help="Route each company to one process (else round robin).")
    ] = False,
) -> None:
    """Start the worker, three API processes and two balancers, and measure."""
    schema, staff = seeded_schema(url)
    env = {
        **os.environ,
        **BENCH_ENV,
        "CASEBOOK_DATABASE_URL": url,
        "CASEBOOK_POSTGRES_SCHEMA": schema,
        "CASEBOOK_LOG_LEVEL": "warning",
    }
    cli = [sys.executable, "-m", "services.cli"]
    TOKEN[0] = bench_token(staff)
    body = contact_body(staff)
    paths = [f"/companies/{cvr}/contacts" for cvr in company_cvrs()[:COMPANIES]]
    started: list[subprocess.Popen[bytes]] = []
    folder = Path(tempfile.mkdtemp(prefix="casebook-bench-cluster-"))
    try:
        started.append(subprocess.Popen([*cli, "project"], env=env, stderr=subprocess.DEVNULL))
        ports = [_free_port() for _ in range(3)]
        for port in ports:
            started.append(_serve([*cli, "serve", "--port", str(port)], env, port))

        one, one_port = _balancer(ports[:1], folder)
        three, three_port = _balancer(ports, folder, BY_COMPANY if by_company else ROUND_ROBIN)
        started += [one, three]
        rounds: dict[int, list[tuple[float, float, float, int]]] = {1: [], 3: []}
        for n in range(repeats):
            for count, port in ((1, one_port), (3, three_port)):
                with console.status(f"round {n + 1}: {count} API process(es)"):
                    _load(port, paths, body, 1.0, spread=True, clients=clients)  # warm up
                    done, elapsed, latencies, errors = _load(
                        port, paths, body, seconds, spread=True, clients=clients
                    )
                q = statistics.quantiles(latencies, n=100)
                rounds[count].append((done / elapsed, q[49] * 1000, q[98] * 1000, errors))
        for count, runs in rounds.items():
            rates = [r[0] for r in runs]
            console.print(
                f"{count} API process(es): {statistics.median(rates):,.0f} commands/s "
                f"(runs {', '.join(f'{r:,.0f}' for r in rates)}), p50 "
                f"{statistics.median(r[1] for r in runs):.1f} ms, p99 "
                f"{statistics.median(r[2] for r in runs):.1f} ms, errors "
                f"{sum(r[3] for r in runs)}"
            )
        ratio = statistics.median(r[0] for r in rounds[3]) / statistics.median(
            r[0] for r in rounds[1]
        )
        console.print(f"three / one, medians: {ratio:.2f}")
    finally:
        for proc in reversed(started):
            proc.terminate()
        for proc in started:
            proc.wait(30)
        shutil.rmtree(folder, ignore_errors=True)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(schema)))


if __name__ == "__main__":
    typer.run(main)
