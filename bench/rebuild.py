"""Rebuild throughput: every read model from a large log, next to a raw read of that log.

Run: `.venv/bin/python -m bench.rebuild --events 500000` (PostgreSQL at
CASEBOOK_BENCH_DATABASE_URL or localhost). It writes a log with the demo's mix
of events over many companies through casebook's own command path, then, in
the same run: (raw) `SELECT` + `json.loads` of every stored event, and a
rebuild of all read models in one pass (`--each`: also each alone). Prints
events/s, the ratio to raw, peak RSS, and the CPU each rebuild took per event:
its processes' (all their threads) and the whole machine's (PostgreSQL's included;
meaningful only when nothing else runs), from which the rate that the machine's
cores allow at best follows.
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import psycopg
import typer
from psycopg.sql import SQL, Identifier
from rich.console import Console
from rich.progress import Progress

from domain.company import Company
from domain.parts import Actor
from domain.staff import StaffMember
from domain.values import StaffRole, Unit
from infra.logging import configure_logging
from infra.settings import Settings
from projections.registry import PROJECTIONS
from services.bootstrap import migrate
from services.cli.demo_data import valid_cvr
from services.eventstore import CasebookApplication, open_application
from services.read.db import ProjectionDb
from services.read.rebuild import rebuild_all
from services.read.rebuild_parts import PartDone

console = Console()
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
MUNICIPALITIES = {"165"}


def _company_events(company: Company, actor: Actor, rng: random.Random, n: int) -> None:
    """About n events of the demo's mix on one company (contacts dominate)."""
    today = date.today()
    now = datetime.now(UTC)
    company.assign_contact_person(staff=actor, reason="first", handover_note="", by=actor)
    opening = uuid.uuid4()
    company.register_opening(
        opening_id=opening,
        title="Helper",
        carved_out_tasks=["a"],
        hours_per_week=20,
        placement_kinds=["ordinary", "internship"],
        requirements=[],
        positions=3,
        by=actor,
    )
    placements: list[uuid.UUID] = []
    while company.version < n:
        roll = rng.random()
        if roll < 0.6 or not placements:
            company.log_contact(
                contact_id=uuid.uuid4(),
                by=actor,
                channel="phone",
                occurred_at=now - timedelta(days=rng.randint(0, 300)),
                summary="Talked about openings",
                topics=["rekruttering"],
                now=now,
            )
        if roll < 0.1:
            referral, candidate = uuid.uuid4(), uuid.uuid4()
            company.refer_candidate(
                referral_id=referral,
                opening_id=opening,
                candidate_id=candidate,
                health_clarified_on=today,
                motivation_clarified_on=today,
                by=actor,
                now=now,
            )
            company.answer_referral(
                referral_id=referral, outcome="hired", answered_on=today, by=actor, now=now
            )
            placement = uuid.uuid4()
            company.start_placement(
                placement_id=placement,
                candidate_id=candidate,
                referral_id=referral,
                kind="ordinary",
                hours_per_week=30,
                starts_on=today - timedelta(days=rng.randint(0, 200)),
                by=actor,
            )
            placements.append(placement)
        elif roll < 0.2 and placements:
            company.schedule_follow_up(
                follow_up_id=uuid.uuid4(),
                placement_id=placements[-1],
                due_on=today + timedelta(days=14),
                by=actor,
            )


def write_log(app: CasebookApplication, events: int, companies: int) -> int:
    """Write about `events` events over `companies` companies; return the log's head."""
    rng = random.Random(11)
    staff = StaffMember.join(
        staff_id=uuid.uuid4(),
        name="Bench Consultant",
        municipality="165",
        unit=Unit.JOB_CENTRE,
        role=StaffRole.CONSULTANT,
        municipalities=MUNICIPALITIES,
    )
    app.save(staff)
    actor = staff.as_actor()
    per_company = max(events // companies, 5)
    cvrs: set[str] = set()
    with Progress(console=console) as bar:
        task = bar.add_task("writing the log", total=companies)
        batch: list[Company] = []
        while len(cvrs) < companies:
            cvr = valid_cvr(rng)
            if cvr in cvrs:
                continue
            cvrs.add(cvr)
            company = Company.register(
                cvr=cvr,
                name=f"Bench {len(cvrs)} ApS",
                municipality="165",
                industry="bench",
                by=actor,
                municipalities=MUNICIPALITIES,
            )
            _company_events(company, actor, rng, per_company)
            batch.append(company)
            if len(batch) == 20:
                app.save(*batch)
                batch.clear()
            bar.update(task, advance=1)
        app.save(*batch)
    return app.last_position()


def count_companies(settings: Settings) -> int:
    """How many companies the log has."""
    with psycopg.connect(settings.database_url) as conn:
        row = conn.execute(
            SQL(
                "SELECT COUNT(*) FROM {0}.casebook_events WHERE topic = %s "
                "AND originator_version = 1"
            ).format(Identifier(settings.postgres_schema)),
            (Company.Registered.TOPIC,),
        ).fetchone()
    return int(row[0]) if row else 0


def raw_read(settings: Settings) -> float:
    """SELECT every stored event and json.loads its state; events/s."""
    started = time.perf_counter()
    count = 0
    with psycopg.connect(settings.database_url) as conn, conn.cursor(name="raw") as cur:
        cur.itersize = 5000
        cur.execute(
            SQL(
                "SELECT notification_id, topic, state FROM {0}.casebook_events "
                "ORDER BY notification_id"
            ).format(Identifier(settings.postgres_schema))
        )
        for _, _, state in cur:
            json.loads(state)
            count += 1
    return count / (time.perf_counter() - started)


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent busy since boot (/proc/stat)."""
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def main(
    url: Annotated[str, typer.Option(envvar="CASEBOOK_BENCH_DATABASE_URL")] = DEFAULT_URL,
    events: Annotated[int, typer.Option(help="Events in the log.")] = 500_000,
    companies: Annotated[int, typer.Option(help="Companies in the log.")] = 5_000,
    each: Annotated[bool, typer.Option(help="Also rebuild each read model alone.")] = False,
    keep: Annotated[
        str | None,
        typer.Option(
            help=(
                "Keep the log in this schema (and use it if it is there already) instead of a "
                "new schema dropped at the end: for repeated runs on the same log."
            )
        ),
    ] = None,
    processes: Annotated[
        int,
        typer.Option(
            help=(
                "Processes the rebuild splits the log between (0: as configured, "
                "CASEBOOK_REBUILD_PROCESSES, by default the machine's cores)."
            )
        ),
    ] = 0,
    runs: Annotated[
        int,
        typer.Option(
            help="Rebuilds of all read models, one after another (the median is printed)."
        ),
    ] = 1,
) -> None:
    """Write the log, then measure the raw read and the rebuild of all read models."""
    schema = keep or f"bench_{uuid.uuid4().hex[:10]}"
    settings = Settings(database_url=url, postgres_schema=schema, log_level="warning")
    configure_logging(settings)
    migrate(settings)
    app = open_application(settings)
    views = ProjectionDb(settings)
    try:
        head = app.last_position() if keep else 0
        if head:
            console.print(f"the log kept in schema {schema} (--events and --companies unused)")
        else:
            head = write_log(app, events, companies)
        raw = raw_read(settings)
        console.print(f"log: {head:,} events over {count_companies(settings):,} companies")
        console.print(f"raw SELECT + json.loads: {raw:,.0f} events/s")
        names = [cls.name for cls in PROJECTIONS]
        rates: list[float] = []
        parts: list[PartDone] = []
        for wanted in [*([n] for n in names if each), *[names] * runs]:
            parts.clear()
            started, cpu, busy = time.perf_counter(), time.process_time(), machine_busy_seconds()
            rebuild_all(
                app,
                views,
                wanted,
                lambda _: None,
                processes=processes or settings.rebuild_processes,
                parts_done=parts.append,
            )
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu + sum(p.cpu_seconds for p in parts)
            busy = machine_busy_seconds() - busy
            cores = os.cpu_count() or 1
            rates.append(head / elapsed)
            console.print(
                f"rebuild {' + '.join(wanted)}: {head / elapsed:,.0f} events/s "
                f"({head / elapsed / raw:.2f} of raw); CPU per event: its processes "
                f"{cpu / head * 1e6:.1f} us, the machine {busy / head * 1e6:.1f} us "
                f"(so {cores} cores allow at most {head * cores / busy:,.0f} events/s; "
                f"load average {os.getloadavg()[0]:.1f})"
            )
        if runs > 1:
            console.print(
                f"median of {runs} rebuilds of all: "
                f"{statistics.median(rates[-runs:]):,.0f} events/s"
            )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        console.print(
            f"peak RSS {peak:.0f} MB"
            + (
                f"; the last rebuild's parts: {', '.join(f'{p.peak_rss_mb:.0f}' for p in parts)} "
                f"MB (together with this process {peak + sum(p.peak_rss_mb for p in parts):.0f} "
                "MB at most)"
                if parts
                else ""
            )
        )
    finally:
        views.close()
        app.close()
        if not keep:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(schema)))


if __name__ == "__main__":
    typer.run(main)
