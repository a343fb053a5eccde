"""A national-scale simulation on this machine: a log of all 98 municipalities, read
latency on half the log and on all of it, and the rebuild with one and two processes.

Run: `.venv/bin/python -m bench.national [--events 2000000]` (PostgreSQL at
CASEBOOK_BENCH_DATABASE_URL or localhost; a schema of its own, dropped at the end).

1. Writes the log in two halves: ~3,000 staff over the 98 municipalities of `infra`'s
   reference data, and `--events / 10` companies (200,000 at 2 million events), each
   with the demo's mix (contacts, openings, referrals, placements, follow-ups). The
   first half registers every company with about half its history; then a tenth of
   the consultants leave, and the second half goes on with every company's history
   (each taken over by a colleague still there), so that the log doubles while the
   companies, staff and caseloads stay as many.
2. After each half, rebuilds every read model and measures the read routes over HTTP
   against `casebook serve` (one client in sequence, `--requests` each): a company's
   overview, a 50-entry timeline page, a staff member's caseload and a directory
   search. Reads must not grow with the log: p99 on the whole log / p99 on half.
3. On the whole log, rebuilds every read model with one process and with two: events/s,
   the ratio, and the CPU per event, from which the time for 100 million events on N
   cores follows (extrapolated per core: this machine has 2).

Not here (see the note in docs/benchmarks.md): the mixed load on three API processes
and the kills under load.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import httpx
import psycopg
import typer
from psycopg.sql import SQL, Identifier
from rich.console import Console
from rich.progress import Progress

from bench.http import _free_port, _serve
from bench.rebuild import _company_events, machine_busy_seconds
from bench.setup import BENCH_ENV
from domain.company import Company
from domain.staff import StaffMember
from domain.values import StaffRole, Unit
from infra.logging import configure_logging
from infra.municipalities import municipalities
from infra.settings import Settings
from projections.registry import PROJECTIONS
from services.bootstrap import migrate
from services.cli.demo_data import FIRST, LAST, valid_cvr
from services.eventstore import CasebookApplication, open_application
from services.http.auth import Role, mint_token
from services.read.db import ProjectionDb
from services.read.rebuild import rebuild_all
from services.read.rebuild_parts import PartDone

console = Console()
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
STAFF_PER_MUNICIPALITY = 30  # about 3,000 over 98
UNITS = (Unit.JOB_CENTRE, Unit.BUSINESS_UNIT, Unit.CONTRACTED_PROVIDER)


class Nation:
    """The staff of every municipality and the companies written so far."""

    def __init__(self, app: CasebookApplication, rng: random.Random) -> None:
        self.codes = sorted(municipalities())
        everywhere = set(self.codes)
        self.staff: dict[str, list[StaffMember]] = {}
        for code in self.codes:
            members = [
                StaffMember.join(
                    staff_id=uuid.uuid4(),
                    name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    municipality=code,
                    unit=UNITS[n % len(UNITS)],
                    role=StaffRole.TEAM_LEAD if n == 0 else StaffRole.CONSULTANT,
                    municipalities=everywhere,
                )
                for n in range(STAFF_PER_MUNICIPALITY)
            ]
            app.save(*members)
            self.staff[code] = members
        self.everywhere = everywhere
        self.cvrs: list[tuple[str, str]] = []  # (cvr, municipality)
        self.companies: list[Company] = []
        self.taken: set[str] = set()

    def write(
        self, app: CasebookApplication, rng: random.Random, companies: int, each: int
    ) -> None:
        """Register `companies` companies spread over the nation, each with a first
        history of about `each` events."""
        with Progress(console=console) as bar:
            task = bar.add_task("writing the log: new companies", total=companies)
            for start in range(0, companies, 50):
                batch = []
                for _ in range(min(50, companies - start)):
                    cvr = valid_cvr(rng)
                    while cvr in self.taken:
                        cvr = valid_cvr(rng)
                    self.taken.add(cvr)
                    code = rng.choice(self.codes)
                    owner = rng.choice(self._active(code))
                    company = Company.register(
                        cvr=cvr,
                        name=f"Virksomhed {len(self.taken)} ApS",
                        municipality=code,
                        industry="bench",
                        by=owner.as_actor(),
                        municipalities=self.everywhere,
                    )
                    _company_events(company, owner.as_actor(), rng, each)
                    self.cvrs.append((cvr, code))
                    self.companies.append(company)
                    batch.append(company)
                app.save(*batch)
                bar.update(task, advance=len(batch))

    def deepen(self, app: CasebookApplication, rng: random.Random, each: int) -> None:
        """About `each` more events on every company: a colleague still there takes it
        over (a handover where its contact person left) and goes on with its history."""
        with Progress(console=console) as bar:
            task = bar.add_task("writing the log: more history", total=len(self.companies))
            for start in range(0, len(self.companies), 50):
                batch = self.companies[start : start + 50]
                for company in batch:
                    others = [
                        s
                        for s in self._active(company.municipality)
                        if s.id != company.contact_person
                    ]
                    owner = rng.choice(others)
                    _company_events(company, owner.as_actor(), rng, company.version + each)
                app.save(*batch)
                bar.update(task, advance=len(batch))

    def _active(self, code: str) -> list[StaffMember]:
        return [s for s in self.staff[code][1:] if s.active]

    def turnover(self, app: CasebookApplication, rng: random.Random) -> None:
        """A tenth of each municipality's consultants leave."""
        today = date.today()
        for members in self.staff.values():
            for member in rng.sample(members[1:], len(members) // 10):
                if member.active:
                    member.leave(
                        left_on=today - timedelta(days=rng.randint(0, 200)),
                        reason="nyt job",
                        now=datetime.now(UTC),
                    )
                    app.save(member)


def _rebuild(app: CasebookApplication, views: ProjectionDb, processes: int) -> tuple[float, float]:
    """Rebuild every read model; events/s and CPU µs per event of the whole machine."""
    head = app.last_position()
    parts: list[PartDone] = []
    names = [cls.name for cls in PROJECTIONS]
    started, busy = time.perf_counter(), machine_busy_seconds()
    rebuild_all(app, views, names, lambda _: None, processes=processes, parts_done=parts.append)
    elapsed = time.perf_counter() - started
    return head / elapsed, (machine_busy_seconds() - busy) / head * 1e6


def _reads(port: int, token: str, nation: Nation, requests: int) -> dict[str, list[float]]:
    """Latency (ms) of each read route, one client in sequence, random targets."""
    rng = random.Random(5)
    headers = {"Authorization": f"Bearer {token}"}
    code = nation.codes[0]
    mine = [cvr for cvr, c in nation.cvrs if c == code] or [nation.cvrs[0][0]]
    staff = [str(s.id) for s in nation.staff[code][1:]]
    routes: dict[str, Callable[[], str]] = {
        "overview": lambda: f"/companies/{rng.choice(mine)}",
        "timeline page (50)": lambda: f"/companies/{rng.choice(mine)}/timeline?limit=50",
        "caseload": lambda: f"/staff/{rng.choice(staff)}/caseload",
        "search": lambda: f"/companies?q=virksomhed%20{rng.randint(1, len(nation.cvrs))}",
    }
    found: dict[str, list[float]] = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
        for name, path in routes.items():
            for _ in range(20):  # warm up
                client.get(path())
            samples = []
            for _ in range(requests):
                started = time.perf_counter()
                r = client.get(path())
                samples.append((time.perf_counter() - started) * 1000)
                if r.status_code != 200:
                    raise RuntimeError(f"{name}: {r.status_code} {r.text[:200]}")
            found[name] = samples
    return found


def _p(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100)[q - 1]


def main(
    url: Annotated[str, typer.Option(envvar="CASEBOOK_BENCH_DATABASE_URL")] = DEFAULT_URL,
    events: Annotated[int, typer.Option(help="Events in the whole log.")] = 2_000_000,
    requests: Annotated[int, typer.Option(help="Requests per read route.")] = 500,
) -> None:
    """Write the national log in two halves, measuring reads on each, then rebuilds."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    settings = Settings(
        database_url=url,
        postgres_schema=schema,
        log_level="warning",
        jwt_secret=BENCH_ENV["CASEBOOK_JWT_SECRET"],
    )
    configure_logging(settings)
    migrate(settings)
    app = open_application(settings)
    views = ProjectionDb(settings)
    rng = random.Random(98)
    env = {
        **os.environ,
        **BENCH_ENV,
        "CASEBOOK_DATABASE_URL": url,
        "CASEBOOK_POSTGRES_SCHEMA": schema,
        "CASEBOOK_LOG_LEVEL": "warning",
    }
    companies = max(events // 10, 100)
    reads: dict[int, dict[str, list[float]]] = {}
    try:
        nation = Nation(app, rng)
        for half in (1, 2):
            if half == 1:
                nation.write(app, rng, companies, 5)
                nation.turnover(app, rng)
            else:
                nation.deepen(app, rng, 5)
            with console.status(f"rebuilding the read models of {app.last_position():,} events"):
                _rebuild(app, views, settings.rebuild_processes)
            port = _free_port()
            server = _serve(
                [sys.executable, "-m", "services.cli", "serve", "--port", str(port)], env, port
            )
            lead = nation.staff[nation.codes[0]][0]
            token = mint_token(
                settings,
                subject=str(lead.id),
                role=Role.TEAM_LEAD,
                municipalities=[lead.municipality],
            )
            try:
                reads[app.last_position()] = _reads(port, token, nation, requests)
            finally:
                server.terminate()
                server.wait(30)
        head = app.last_position()
        staff = sum(len(m) for m in nation.staff.values())
        console.print(
            f"log: {head:,} events, {len(nation.cvrs):,} companies, {staff:,} staff in "
            f"{len(nation.codes)} municipalities"
        )
        (small, at_half), (_, at_full) = sorted(reads.items())
        for name in at_full:
            console.print(
                f"{name}: p50 {statistics.median(at_half[name]):.1f} / "
                f"{statistics.median(at_full[name]):.1f} ms, p99 {_p(at_half[name], 99):.1f} / "
                f"{_p(at_full[name], 99):.1f} ms at {small:,} / {head:,} events; "
                f"p99 ratio {_p(at_full[name], 99) / _p(at_half[name], 99):.2f}"
            )
        one, cpu_one = _rebuild(app, views, 1)
        two, cpu_two = _rebuild(app, views, 2)
        console.print(
            f"rebuild of every read model: 1 process {one:,.0f} events/s, 2 processes "
            f"{two:,.0f} events/s, ratio {two / one:.2f}; CPU per event {cpu_one:.1f} / "
            f"{cpu_two:.1f} µs (whole machine)"
        )
        hours = 100_000_000 * cpu_two / 1e6 / 3600
        console.print(
            f"100 million events: {hours:.2f} CPU-hours, so {hours * 60 / 8:.0f} min on 8 cores "
            "if it scales per core (extrapolated)"
        )
    finally:
        views.close()
        app.close()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(schema)))


if __name__ == "__main__":
    typer.run(main)
