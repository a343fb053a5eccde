"""The effect statement's cost, next to the ledger's replay of the same log.

Run: `.venv/bin/python -m bench.effects --events 100000` (PostgreSQL at
CASEBOOK_BENCH_DATABASE_URL or localhost). It writes a log with the demo's mix over
`--companies` companies of one municipality (about one event in ten starts a
placement), records a programme contract that every company joins on its first day,
and seals the log; then, alternating in this process, `--runs` times each:

- replay: `evaluate_contract` over the whole log to the full ledger (the baseline);
- statement: the effect statement at the sealed position (`effects_body`: the same
  replay, then the per-company statement).

It prints the medians and the ratio statement / replay.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import date, timedelta
from typing import Annotated

import psycopg
import typer
from psycopg.sql import SQL, Identifier
from rich.console import Console

from bench.rebuild import DEFAULT_URL, write_log
from domain.company import Company
from domain.contract import OutcomeContract
from domain.rules import default_rules
from infra.settings import Settings
from services.audit.effects import effects_body
from services.audit.ledger import evaluate_contract
from services.audit.seal import Sealer
from services.bootstrap import migrate
from services.eventstore import open_application
from services.read.db import ProjectionDb

console = Console()


def main(
    url: Annotated[str, typer.Option(envvar="CASEBOOK_BENCH_DATABASE_URL")] = DEFAULT_URL,
    events: Annotated[int, typer.Option(help="Events in the log.")] = 100_000,
    companies: Annotated[int, typer.Option(help="Companies in the log.")] = 2_000,
    runs: Annotated[int, typer.Option(help="Runs of each measurement (median).")] = 5,
) -> None:
    """Write and seal the log, then time the replay and the statement."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    settings = Settings(database_url=url, postgres_schema=schema, log_level="warning")
    migrate(settings)
    app, views = open_application(settings), ProjectionDb(settings)
    try:
        write_log(app, events, companies)
        today = date.today()
        start = today - timedelta(days=400)
        contract = OutcomeContract.agree(
            contract_id=uuid.uuid4(),
            municipality="165",
            name="Bench programme",
            period_from=start,
            period_to=today,
            rules=default_rules(start, (1_000_00, 2_000_00, 3_000_00)),
            by=uuid.uuid4(),
            municipalities={"165"},
            counterparty=("Bench fund", "29403473"),
            scope="programme",
        )
        app.save(contract)
        ids = [
            uuid.UUID(str(n.originator_id))
            for n in app.log_after(0)
            if n.topic == Company.Registered.TOPIC
        ]
        for company_id in ids:
            company = app.find(company_id, Company)
            assert company is not None
            company.join_programme(
                contract_id=contract.id,
                programme=contract.name,
                municipality="165",
                period=(start, today),
                joined_on=start,
                by=contract.id,
            )
            app.save(company)
        position, _ = Sealer(app, views, postgres=True).seal_all()
        placements = sum(1 for n in app.log_after(0) if n.topic == Company.PlacementStarted.TOPIC)
        console.print(
            f"log: {position:,} events, {placements:,} placements, {len(ids):,} companies"
        )
        timings: dict[str, list[float]] = {"replay": [], "statement": []}
        for _ in range(runs):
            began = time.perf_counter()
            assert evaluate_contract(app, contract.id, today=today).entries()
            timings["replay"].append(time.perf_counter() - began)
            began = time.perf_counter()
            body = effects_body(
                app,
                views,
                contract.id,
                period=(None, None),
                today=today,
                position=position,
                postgres=True,
            )
            timings["statement"].append(time.perf_counter() - began)
            assert body["totals"]["placements_started"] > 0
        replay = statistics.median(timings["replay"])
        statement = statistics.median(timings["statement"])
        console.print(
            f"replay {replay:.2f} s, statement {statement:.2f} s (medians of {runs}); "
            f"statement / replay = {statement / replay:.2f}; "
            f"{body['totals']['placements_started']:,} jobs started in the statement"
        )
    finally:
        views.close()
        app.close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(schema)))


if __name__ == "__main__":
    typer.run(main)
