"""Page speed and weight in the browser: the company page of a 1,000-event company (its
job seekers registered, so the page opens and logs their names), and the consultant's
other pages: my work (with notices), the candidate search, registration and a
candidate's page.

Run: `.venv/bin/python -m bench.ui` (PostgreSQL at CASEBOOK_BENCH_DATABASE_URL or
localhost; Debian's Chromium at /usr/bin/chromium). The API (`casebook serve`) and the
projection worker (`casebook project`) run as separate processes, as in production.
Figures come from the browser's Navigation Timing (request start to load event) and
Resource Timing (bytes transferred, cold cache); the sign-in page is the baseline
measured in the same run.
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from typing import Annotated, Any

import psycopg
import typer
from playwright.sync_api import Browser, Page, sync_playwright
from psycopg.sql import SQL, Identifier
from rich.console import Console

from bench.http import serve_and_project
from bench.rebuild import _company_events, write_log
from bench.setup import BENCH_ENV
from domain.company import Company
from domain.staff import StaffMember
from domain.values import StaffRole, Unit
from infra.settings import Settings
from services.bootstrap import build_services, migrate
from services.cli.demo_people import invented_person
from services.eventstore import open_application
from services.http.auth import Role, mint_token
from services.http.session import SESSION_COOKIE
from services.read.db import ProjectionDb
from services.write.candidates import register_sealed

console = Console()
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
CHROMIUM = os.environ.get("CASEBOOK_TEST_CHROMIUM", "/usr/bin/chromium")
_TIMING = (
    "() => { const n = performance.getEntriesByType('navigation')[0];"
    " const r = performance.getEntriesByType('resource');"
    " return {ms: n.loadEventEnd - n.requestStart, html: n.transferSize,"
    " ttfb: n.responseStart - n.requestStart,"
    " dcl: n.domContentLoadedEventEnd - n.requestStart,"
    " bytes: n.transferSize + r.reduce((s, e) => s + e.transferSize, 0)}; }"
)


def _visit(page: Page, url: str) -> dict[str, Any]:
    page.goto(url, wait_until="load")
    found: dict[str, Any] = page.evaluate(_TIMING)
    return found


def _quantile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100)[q - 1]


def main(
    url: Annotated[str, typer.Option(envvar="CASEBOOK_BENCH_DATABASE_URL")] = DEFAULT_URL,
    background: Annotated[int, typer.Option(help="Events of other companies.")] = 20_000,
    events: Annotated[int, typer.Option(help="Events of the measured company.")] = 1_000,
    visits: Annotated[int, typer.Option(help="Page loads per measurement.")] = 60,
) -> None:
    """Build the data, start the API and the worker, and measure in Chromium."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    settings = Settings(
        database_url=url,
        postgres_schema=schema,
        log_level="warning",
        jwt_secret=BENCH_ENV["CASEBOOK_JWT_SECRET"],
        candidate_kek=BENCH_ENV["CASEBOOK_CANDIDATE_KEK"],
    )
    migrate(settings)
    app = open_application(settings)
    write_log(app, background, max(background // 100, 1))
    staff = StaffMember.join(
        staff_id=uuid.uuid4(),
        name="Reader",
        municipality="165",
        unit=Unit.JOB_CENTRE,
        role=StaffRole.CONSULTANT,
        municipalities={"165"},
    )
    big = Company.register(
        cvr="13748136",
        name="Glans ApS",
        municipality="165",
        industry="cleaning",
        by=staff.as_actor(),
        municipalities={"165"},
    )
    _company_events(big, staff.as_actor(), random.Random(3), events)
    app.save(staff, big)
    app.close()
    named = _register_job_seekers(settings, big, staff.id)
    app = open_application(settings)
    head = app.last_position()
    app.close()
    server, worker, port = serve_and_project(url, schema)
    views = ProjectionDb(settings)
    base = f"http://127.0.0.1:{port}"
    token = mint_token(
        settings, subject=str(staff.id), role=Role.CONSULTANT, municipalities=["165"]
    )
    try:
        while any(
            (views.active_generation(n) or (0, 0))[1] < head
            for n in ("directory", "overview", "timeline")
        ):
            time.sleep(0.5)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            cold = browser.new_context()
            cold.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": base}])
            first = _visit(cold.new_page(), f"{base}/app/companies/13748136")
            cold.close()
            context = browser.new_context()
            context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": base}])
            page = context.new_page()
            for _ in range(5):  # warm up both pages
                _visit(page, f"{base}/app/login")
                _visit(page, f"{base}/app/companies/13748136")
            signin, company, phases = [], [], []
            for _ in range(visits):
                signin.append(_visit(page, f"{base}/app/login")["ms"])
                phases.append(_visit(page, f"{base}/app/companies/13748136"))
                company.append(phases[-1]["ms"])
            others = _other_pages(browser, base, token, named[0], visits)
            browser.close()
        console.print(
            f"company page ({events:,} events, {background:,} others), "
            f"{visits} loads: p50 {statistics.median(company):.1f} ms, "
            f"p95 {_quantile(company, 95):.1f} ms"
        )
        console.print(
            f"sign-in page (baseline): p50 {statistics.median(signin):.1f} ms, "
            f"p95 {_quantile(signin, 95):.1f} ms; company / baseline (p50) "
            f"{statistics.median(company) / statistics.median(signin):.1f}x"
        )
        console.print(
            "company page phases, p50: first byte "
            f"{statistics.median(p['ttfb'] for p in phases):.1f} ms, "
            f"DOMContentLoaded {statistics.median(p['dcl'] for p in phases):.1f} ms, "
            "DOMContentLoaded to load "
            f"{statistics.median(p['ms'] - p['dcl'] for p in phases):.1f} ms"
        )
        console.print(
            f"transferred, cold cache: {first['bytes'] / 1024:.1f} KB in all "
            f"(HTML {first['html'] / 1024:.1f} KB); {len(named)} job seekers named"
        )
        for name, (ms, ttfb, cold_bytes) in others.items():
            console.print(
                f"{name}: p50 {statistics.median(ms):.1f} ms, p95 {_quantile(ms, 95):.1f} ms, "
                f"first byte p50 {statistics.median(ttfb):.1f} ms, "
                f"{cold_bytes / 1024:.1f} KB cold"
            )
    finally:
        views.close()
        server.terminate()
        worker.terminate()
        server.wait(30)
        worker.wait(30)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(schema)))


def _register_job_seekers(settings: Settings, company: Company, by: uuid.UUID) -> list[uuid.UUID]:
    """Register, with sealed invented data (as the demo does), every job seeker the
    company's referrals name: the company page then opens and logs their names."""
    ids = list(dict.fromkeys(r.candidate_id for r in company.referrals.values()))
    services = build_services(settings, run_projections=False, run_relay=False)
    try:
        for candidate_id in ids:
            register_sealed(
                services.vault,
                services.committer.submit,
                candidate_id=candidate_id,
                municipality="165",
                personal=invented_person(candidate_id),
                by=by,
            )
    finally:
        services.close()
    return ids


def _other_pages(
    browser: Browser, base: str, token: str, candidate: uuid.UUID, visits: int
) -> dict[str, tuple[list[float], list[float], float]]:
    """Each of the consultant's other pages: (load ms, first-byte ms) per visit, and the
    bytes of a first, cold-cache visit."""
    pages = {
        "my work": "/app/my-work",
        "candidate search": "/app/candidates",
        "register a candidate": "/app/candidates/new",
        "a candidate (closed)": f"/app/candidates/{candidate}",
    }
    found = {}
    for name, path in pages.items():
        context = browser.new_context()
        context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": base}])
        page = context.new_page()
        cold = _visit(page, base + path)["bytes"]
        for _ in range(5):
            _visit(page, base + path)
        timings = [_visit(page, base + path) for _ in range(visits)]
        found[name] = ([t["ms"] for t in timings], [t["ttfb"] for t in timings], cold)
        context.close()
    return found


if __name__ == "__main__":
    typer.run(main)
