"""Replay and verify throughput on a large log, next to a raw read of the same rows.

Run: `.venv/bin/python -m bench.ledger --events 500000` (PostgreSQL at
CASEBOOK_BENCH_DATABASE_URL or localhost). It writes a log with the demo's mix
over 5,000 companies of one municipality (about one event in ten starts a
placement), records one outcome contract over them and seals the log; then
each measurement runs in a child process of its own (so each peak RSS is its
own), `--runs` times, and the median is printed:

- raw: `SELECT` + `json.loads` of every stored event;
- decode: the library's `select_notifications` + mapper, every event;
- replay: `evaluate_contract` over the whole log to the full ledger;
- verify: `verify_stored` of the whole log against its seal (the CLI's path).
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from typing import Annotated

import psycopg
import typer
from psycopg.sql import SQL, Identifier
from rich.console import Console

from bench.rebuild import DEFAULT_URL, raw_read, write_log
from domain.contract import OutcomeContract
from domain.rules import default_rules
from infra.settings import Settings
from services.audit.ledger import evaluate_contract
from services.audit.seal import Sealer
from services.audit.verify import verify_stored
from services.bootstrap import migrate
from services.eventstore import open_application
from services.read.db import ProjectionDb

console = Console()
app_cli = typer.Typer(add_completion=False)


def _measure(settings: Settings, what: str, contract_id: uuid.UUID) -> dict[str, float]:
    """One measurement in this process: events/s and peak RSS (MB)."""
    app, views = open_application(settings), ProjectionDb(settings)
    head = app.last_position()
    started = time.perf_counter()
    if what == "raw":
        rate = raw_read(settings)
    else:
        if what == "decode":
            for n in app.log_after(0):
                app.mapper.to_domain_event(n)
        elif what == "replay":
            evaluation = evaluate_contract(app, contract_id)
            entries = evaluation.entries()
            assert entries, "the bench contract reached nothing"
        elif what == "verify":
            report = verify_stored(settings, app, views)
            assert not report.findings and report.events == head, report.findings[:3]
        rate = head / (time.perf_counter() - started)
    views.close()
    app.close()
    return {"rate": rate, "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


@app_cli.command()
def child(url: str, schema: str, what: str, contract: str) -> None:
    """(internal) Run one measurement and print it as JSON."""
    settings = Settings(database_url=url, postgres_schema=schema, log_level="warning")
    print(json.dumps(_measure(settings, what, uuid.UUID(contract))))


@app_cli.command()
def main(
    url: Annotated[str, typer.Option(envvar="CASEBOOK_BENCH_DATABASE_URL")] = DEFAULT_URL,
    events: Annotated[int, typer.Option(help="Events in the log.")] = 500_000,
    companies: Annotated[int, typer.Option(help="Companies in the log.")] = 5_000,
    runs: Annotated[int, typer.Option(help="Runs of each measurement (median).")] = 3,
) -> None:
    """Write and seal the log, then measure raw read, decode, replay and verify."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    settings = Settings(database_url=url, postgres_schema=schema, log_level="warning")
    migrate(settings)
    app, views = open_application(settings), ProjectionDb(settings)
    try:
        write_log(app, events, companies)
        today = date.today()
        contract = OutcomeContract.agree(
            contract_id=uuid.uuid4(),
            municipality="165",
            name="Bench contract",
            period_from=today - timedelta(days=400),
            period_to=today,
            rules=default_rules(today - timedelta(days=400), (1_000_00, 2_000_00, 3_000_00)),
            by=uuid.uuid4(),
            municipalities={"165"},
        )
        app.save(contract)
        head = app.last_position()
        placements = sum(
            1 for n in app.log_after(0) if n.topic == "casebook:Company.PlacementStarted"
        )
        started = time.perf_counter()
        Sealer(app, views, postgres=True).seal_all()
        sealing = head / (time.perf_counter() - started)
        console.print(
            f"log: {head:,} events, {placements:,} placements under one contract; "
            f"sealed at {sealing:,.0f} events/s"
        )
        results: dict[str, list[dict[str, float]]] = {}
        for _ in range(runs):
            for what in ("raw", "decode", "replay", "verify"):
                out = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "bench.ledger",
                        "child",
                        url,
                        schema,
                        what,
                        str(contract.id),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                results.setdefault(what, []).append(json.loads(out.stdout))
        raw = statistics.median(r["rate"] for r in results["raw"])
        for what, found in results.items():
            rate = statistics.median(r["rate"] for r in found)
            rss = max(r["rss"] for r in found)
            console.print(
                f"{what:>7}: {rate:>10,.0f} events/s ({rate / raw:.2f} of raw), "
                f"peak RSS {rss:,.0f} MB"
            )
    finally:
        views.close()
        app.close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(schema)))


if __name__ == "__main__":
    app_cli()
