"""`casebook serve`, `migrate`, `demo` and `token`: running the service and getting in."""

from __future__ import annotations

import gc
import socket
from datetime import date
from typing import Annotated

import typer
import uvicorn
from prometheus_client import start_http_server

from domain.company import Company
from domain.errors import DomainError
from domain.values import company_id
from infra.logging import configure_logging
from infra.municipalities import municipalities
from infra.settings import Settings
from services.api.health import LiveMetrics
from services.app import create_app
from services.bootstrap import build_services
from services.bootstrap import migrate as migrate_store
from services.cli.common import CliError, console, load_settings, progress
from services.cli.demo import first_demo_cvr, load_demo
from services.cli.demo_people import enrolment
from services.cli.protocol import guarded_protocol
from services.errors import ServiceError
from services.http.auth import STAFF_ROLES, Role, mint_token
from services.http.container import Services
from services.read.db import ProjectionDb
from services.read.queries.people import first_current

DEMO_VIEWS_WAIT_SECONDS = 120.0


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on [default: CASEBOOK_HOST or 127.0.0.1].")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on [default: CASEBOOK_PORT or 8000].")
    ] = None,
    demo: Annotated[bool, typer.Option(help="Load the demo data set first.")] = False,
) -> None:
    """Run the HTTP API on CASEBOOK_DATABASE_URL (the embedded SQLite mode migrates first)."""
    settings = load_settings()
    host, port = host or settings.host, port or settings.port
    _require_free(host, port)
    services = build_services(settings)
    if demo:
        _load_demo(settings, services)
    app = create_app(settings, services)
    if settings.metrics_port is not None:
        _require_free(host, settings.metrics_port)
        start_http_server(settings.metrics_port, addr=host, registry=LiveMetrics(services))
        console.print(f"metrics on http://{host}:{settings.metrics_port}/metrics")
    # Full collections over the aggregate cache dominated the tail latency:
    # p99 49 ms -> 11 ms at 16 clients with these thresholds (bench/http.py).
    gc.set_threshold(10_000, 50, 100)
    gc.freeze()
    console.print(
        f"casebook ({settings.backend}) on http://{host}:{port}  "
        f"web app: http://{host}:{port}/app  API docs: http://{host}:{port}/docs"
    )
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            http=guarded_protocol(
                max_head_bytes=settings.max_header_bytes,
                head_seconds=settings.header_timeout_seconds,
            ),
        )
    finally:
        services.close()


def _require_free(host: str, port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise CliError(
                f"cannot listen on {host}:{port} ({e.strerror}); "
                "choose another with --port or CASEBOOK_PORT"
            ) from None


def migrate() -> None:
    """Create the tables in CASEBOOK_DATABASE_URL (and CASEBOOK_POSTGRES_SCHEMA).

    Safe to run twice, or from several processes at once.
    """
    settings = load_settings()
    migrate_store(settings)
    console.print(f"migrated the {settings.backend} event store")


def demo() -> None:
    """Load the demo data set through the same use cases the API and the web app call."""
    settings = load_settings()
    migrate_store(settings)
    services = build_services(settings)
    try:
        _load_demo(settings, services)
        # The read models follow in this process: let them reach the log's head before
        # it ends, so the views are complete when `demo` returns.
        if services.projections is not None and not services.projections.wait_for(
            services.app.last_position(), DEMO_VIEWS_WAIT_SECONDS
        ):
            raise CliError(
                "the read models did not catch up with the demo data in "
                f"{DEMO_VIEWS_WAIT_SECONDS:g} s; `casebook project` will finish them"
            )
    finally:
        services.close()


def _load_demo(settings: Settings, services: Services) -> None:
    today = date.today()
    if services.app.find(company_id(first_demo_cvr(today)), Company) is not None:
        console.print("demo data already loaded")
        return
    configure_logging(settings.model_copy(update={"log_level": "warning"}))
    try:
        with progress("loading demo data") as report:
            count = load_demo(
                services.committer.submit, enrolment(services), services.clock, today, report
            )
    except (DomainError, ServiceError) as error:
        raise CliError(f"a demo command failed: {error}") from error
    finally:
        configure_logging(settings)
    console.print(
        f"demo data loaded: {count} commands, log position {services.app.last_position()}"
    )


def token(
    role: Annotated[Role, typer.Option(help="consultant, team_lead, auditor, service or admin")],
    municipality: Annotated[
        list[str],
        typer.Option(help="A municipality code the token covers (repeat for more), e.g. 165"),
    ] = [],  # noqa: B006
    subject: Annotated[
        str | None,
        typer.Option(
            help=(
                "The subject; for consultant and team_lead a staff member's id. Default: the "
                "first active staff member of the first municipality in the local database"
            )
        ),
    ] = None,
    hours: Annotated[int, typer.Option(min=1, max=24 * 30, help="Hours until it expires")] = 8,
) -> None:
    """Print a bearer token signed with CASEBOOK_JWT_SECRET (or the development key).

    Use it as `Authorization: Bearer <token>`, e.g. in /docs under "Authorize".
    """
    settings = load_settings()
    for code in municipality:
        if code not in municipalities():
            raise CliError(f"unknown municipality code {code!r}")
    if subject is None:
        subject = _default_subject(settings, role, municipality)
    printed = mint_token(
        settings, subject=subject, role=role, municipalities=municipality, ttl_seconds=hours * 3600
    )
    console.print(
        f"{role} {subject} of {', '.join(municipality) or 'no municipality'}, valid {hours} h",
        highlight=False,
    )
    print(printed)


def _default_subject(settings: Settings, role: Role, codes: list[str]) -> str:
    if role not in STAFF_ROLES:
        return f"casebook-{role}"
    if not codes:
        raise CliError("give --municipality for a consultant or team_lead token")
    views = ProjectionDb(settings)
    try:
        subject = first_current(views, codes[0])
    finally:
        views.close()
    if subject is None:
        raise CliError(
            f"no staff member of municipality {codes[0]} in the database: "
            "pass --subject with a staff member's id (POST /staff registers one)"
        )
    return subject


def register(cli: typer.Typer) -> None:
    """Add these commands to the `casebook` command line."""
    for command in (serve, migrate, demo, token):
        cli.command()(command)
