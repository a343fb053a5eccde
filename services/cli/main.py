"""The `casebook` command line: serve, migrate, demo, project, rebuild, relay, tail,
token (and the auditor's verify, replay and export from services.cli.audit)."""

from __future__ import annotations

import gc
import signal
import socket
import sys
import threading
from datetime import date
from typing import Annotated

import structlog
import typer
import uvicorn
from prometheus_client import start_http_server
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from domain.company import Company
from domain.errors import DomainError
from domain.values import company_id
from infra.logging import configure_logging
from infra.municipalities import municipalities
from infra.settings import Settings
from projections.registry import PROJECTIONS
from services.api.health import LiveMetrics
from services.app import create_app
from services.audit.seal import SEAL_NOT_REBUILT
from services.bootstrap import build_services, projection_service
from services.bootstrap import migrate as migrate_store
from services.cli import audit as cli_audit
from services.cli.demo import first_demo_cvr, load_demo
from services.errors import ServiceError
from services.eventstore import open_application
from services.feed.relay import Relay, run_blocking
from services.feed.tail import TailOptions, run_tail
from services.http.auth import STAFF_ROLES, Role, mint_token
from services.http.container import Services
from services.read.db import ViewDb
from services.read.progress import listen
from services.read.projector import EVENTS_CHANNEL
from services.read.queries.people import first_current
from services.read.rebuild import rebuild_all

cli = typer.Typer(help="casebook: one continuous history for every company.",
                  no_args_is_help=True, add_completion=False)
console = Console(stderr=True)
log = structlog.get_logger("casebook.cli")


def stopped_by_signal() -> threading.Event:
    """An event that SIGINT or SIGTERM sets: the long-running commands run until it is."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


class CliError(Exception):
    """A failure to report in one line."""


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings)
    return settings


def _load_demo(settings: Settings, services: Services) -> None:
    today = date.today()
    if services.app.find(company_id(first_demo_cvr(today)), Company) is not None:
        console.print("demo data already loaded")
        return
    configure_logging(settings.model_copy(update={"log_level": "warning"}))
    try:
        with Progress("[progress.description]{task.description}", BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
            task = bar.add_task("loading demo data", total=None)
            count = load_demo(services.committer.submit, services.clock, today,
                              lambda done, total: bar.update(task, completed=done, total=total))
    except (DomainError, ServiceError) as error:
        raise CliError(f"a demo command failed: {error}") from error
    finally:
        configure_logging(settings)
    console.print(f"demo data loaded: {count} commands, log position "
                  f"{services.app.last_position()}")


def _require_free(host: str, port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise CliError(f"cannot listen on {host}:{port} ({e.strerror}); "
                           "choose another with --port or CASEBOOK_PORT") from None


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(
        help="Address to listen on [default: CASEBOOK_HOST or 127.0.0.1].")] = None,
    port: Annotated[int | None, typer.Option(
        help="Port to listen on [default: CASEBOOK_PORT or 8000].")] = None,
    demo: Annotated[bool, typer.Option(help="Load the demo data set first.")] = False,
) -> None:
    """Run the HTTP API on CASEBOOK_DATABASE_URL (the embedded SQLite mode migrates first)."""
    settings = _settings()
    host, port = host or settings.host, port or settings.port
    _require_free(host, port)
    services = build_services(settings)
    if demo:
        _load_demo(settings, services)
    app = create_app(settings, services)
    if settings.metrics_port is not None:
        _require_free(host, settings.metrics_port)
        start_http_server(settings.metrics_port, addr=host,
                          registry=LiveMetrics(services))
        console.print(f"metrics on http://{host}:{settings.metrics_port}/metrics")
    # Full collections over the aggregate cache dominated the tail latency:
    # p99 49 ms -> 11 ms at 16 clients with these thresholds (bench/http.py).
    gc.set_threshold(10_000, 50, 100)
    gc.freeze()
    console.print(f"casebook ({settings.backend}) on http://{host}:{port}  "
                  f"web app: http://{host}:{port}/app  API docs: http://{host}:{port}/docs")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        services.close()


@cli.command()
def migrate() -> None:
    """Create the tables in CASEBOOK_DATABASE_URL (and CASEBOOK_POSTGRES_SCHEMA).

    Safe to run twice, or from several processes at once.
    """
    settings = _settings()
    migrate_store(settings)
    console.print(f"migrated the {settings.backend} event store")


@cli.command()
def token(
    role: Annotated[Role, typer.Option(help="consultant, team_lead, auditor, service or admin")],
    municipality: Annotated[list[str], typer.Option(
        help="A municipality code the token covers (repeat for more), e.g. 165")] = [],  # noqa: B006
    subject: Annotated[str | None, typer.Option(help=(
        "The subject; for consultant and team_lead a staff member's id. Default: the "
        "first active staff member of the first municipality in the local database"))] = None,
    hours: Annotated[int, typer.Option(min=1, max=24 * 30, help="Hours until it expires")] = 8,
) -> None:
    """Print a bearer token signed with CASEBOOK_JWT_SECRET (or the development key).

    Use it as `Authorization: Bearer <token>`, e.g. in /docs under "Authorize".
    """
    settings = _settings()
    for code in municipality:
        if code not in municipalities():
            raise CliError(f"unknown municipality code {code!r}")
    if subject is None:
        subject = _default_subject(settings, role, municipality)
    printed = mint_token(settings, subject=subject, role=role, municipalities=municipality,
                         ttl_seconds=hours * 3600)
    console.print(f"{role} {subject} of {', '.join(municipality) or 'no municipality'}, "
                  f"valid {hours} h", highlight=False)
    print(printed)


def _default_subject(settings: Settings, role: Role, codes: list[str]) -> str:
    if role not in STAFF_ROLES:
        return f"casebook-{role}"
    if not codes:
        raise CliError("give --municipality for a consultant or team_lead token")
    views = ViewDb(settings)
    try:
        subject = first_current(views, codes[0])
    finally:
        views.close()
    if subject is None:
        raise CliError(f"no staff member of municipality {codes[0]} in the database: "
                       "pass --subject with a staff member's id (POST /staff registers one)")
    return subject


DEMO_VIEWS_WAIT_SECONDS = 120.0


@cli.command()
def demo() -> None:
    """Load the demo data set through the API's own commands."""
    settings = _settings()
    migrate_store(settings)
    services = build_services(settings)
    try:
        _load_demo(settings, services)
        # The read models follow in this process: let them reach the log's head before
        # it ends, so the views are complete when `demo` returns.
        if services.projections is not None and not services.projections.wait_for(
                services.app.last_position(), DEMO_VIEWS_WAIT_SECONDS):
            raise CliError("the read models did not catch up with the demo data in "
                           f"{DEMO_VIEWS_WAIT_SECONDS:g} s; `casebook project` will finish them")
    finally:
        services.close()


def _one_line(e: Exception) -> str:
    if isinstance(e, ValidationError):  # settings from the environment
        return "; ".join(f"CASEBOOK_{'_'.join(map(str, err['loc'])).upper()}: {err['msg']}"
                         for err in e.errors())
    return " ".join(str(e).split()) or type(e).__name__


@cli.command()
def project() -> None:
    """Run the projection workers: keep every read model current (production mode)."""
    settings = _settings()
    app = open_application(settings)
    views = ViewDb(settings)
    service = projection_service(app, views, settings)
    stop = stopped_by_signal()
    service.start()
    console.print(f"following the log for {', '.join(r.projection.name for r in service.runners)}"
                  " (Ctrl-C stops)")
    stop.wait()
    service.stop()
    views.close()
    app.close()


@cli.command()
def rebuild(names: Annotated[list[str], typer.Argument(
        help="Read models: directory, overview, timeline, candidates, or all.")]) -> None:
    """Rebuild read models from the log in one pass; the old ones serve until the new ones
    are swapped in."""
    known = [p.name for p in PROJECTIONS]
    if "seal" in names:
        raise CliError(SEAL_NOT_REBUILT)
    wanted = known if names == ["all"] else names
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise CliError(f"no read model named {unknown[0]!r} (known: {', '.join(known)}, "
                       "or all)")
    settings = _settings()
    app = open_application(settings)
    views = ViewDb(settings)
    try:
        head = app.last_position()
        with Progress("[progress.description]{task.description}", BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
            task = bar.add_task(f"rebuilding {', '.join(wanted)}", total=head)
            rebuilt = rebuild_all(app, views, wanted, lambda pos: bar.update(
                task, completed=min(pos, head)), batch_size=settings.rebuild_batch_size,
                processes=settings.rebuild_processes)
        for r in rebuilt:
            console.print(f"{r.name} rebuilt as generation {r.generation} at position "
                          f"{r.position}")
    finally:
        views.close()
        app.close()


@cli.command()
def relay() -> None:
    """Publish the event log to NATS JetStream (CASEBOOK_NATS_URL), every event once.

    Creates the stream (CASEBOOK_NATS_STREAM) if it is missing; resumes after the
    stream's last message; stops on SIGINT/SIGTERM.
    """
    settings = _settings()
    if not settings.nats_url:
        raise CliError("CASEBOOK_NATS_URL is not set: name the NATS server to publish to")
    app = open_application(settings)
    views = ViewDb(settings)
    publisher = Relay(app, views, settings)
    stop = stopped_by_signal()
    if settings.backend == "postgres":  # woken by each commit's NOTIFY
        threading.Thread(target=listen, args=(settings, EVENTS_CHANNEL, publisher.wake, stop),
                         name="listen", daemon=True).start()
    console.print(f"relaying the log to stream {settings.nats_stream} on {settings.nats_url} "
                  "(Ctrl-C stops)")
    try:
        run_blocking(publisher, stop.is_set)
    finally:
        stop.set()
        views.close()
        app.close()
    if publisher.fatal is not None:
        raise CliError(f"relay stopped at position {publisher.position}: {publisher.fatal}")


@cli.command()
def tail(
    subject: Annotated[str | None, typer.Option(
        help="Subjects to follow, e.g. casebook.165.company.> (default: every event).")] = None,
    from_position: Annotated[int | None, typer.Option(
        min=0, help="Start at this log position (re-creates the consumer).")] = None,
    durable: Annotated[str, typer.Option(
        help="The durable consumer's name: a second run resumes where it left off.")
    ] = "casebook-tail",
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print each event as CloudEvents JSON.")] = False,
    limit: Annotated[int | None, typer.Option(
        min=1, help="Stop after this many events (default: follow until Ctrl-C).")] = None,
) -> None:
    """Follow the NATS stream and print each event on one line."""
    settings = _settings()
    if not settings.nats_url:
        raise CliError("CASEBOOK_NATS_URL is not set: name the NATS server to read from")
    stop = stopped_by_signal()
    options = TailOptions(subject or f"{settings.nats_subject_prefix}.>", durable,
                          from_position, as_json, limit)
    run_tail(settings, options, lambda line: print(line, flush=True), stop.is_set)


cli_audit.register(cli)


def main() -> None:
    """Entry point: any failure exits non-zero with a one-line reason."""
    try:
        # Without standalone mode click returns a typer.Exit's code instead of raising.
        code = cli(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except Exception as e:  # the CLI's contract: one line, non-zero exit
        # typer vendors its own click, so its exceptions are matched by shape.
        if type(e).__name__ == "NoArgsIsHelpError":
            sys.exit(2)  # the help was printed
        if hasattr(e, "show") and hasattr(e, "exit_code"):
            e.show()
            sys.exit(e.exit_code)
        reason = _one_line(e)
        console.print(f"casebook: error: {reason}", soft_wrap=True, highlight=False,
                      markup=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
