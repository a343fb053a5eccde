"""The long-running and long-working commands: `casebook project`, `rebuild`, `relay` and
`tail`; each runs until SIGINT/SIGTERM or its work is done."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Annotated

import typer

from projections.registry import PROJECTIONS
from services.audit.seal import SEAL_NOT_REBUILT
from services.bootstrap import idempotency_pruner, projection_service
from services.cli.common import CliError, console, load_settings, progress, stopped_by_signal
from services.cli.common import stores as opened_stores
from services.feed.relay import Relay
from services.feed.tail import TailOptions, run_tail
from services.read.progress import listen
from services.read.projector import EVENTS_CHANNEL
from services.read.rebuild import rebuild_all


def project() -> None:
    """Run the projection workers: keep every read model current (production mode), and
    delete idempotency records older than CASEBOOK_IDEMPOTENCY_RETENTION_DAYS."""
    with opened_stores() as (app, views, settings):
        service = projection_service(app, views, settings)
        pruner = idempotency_pruner(app, settings)
        stop = stopped_by_signal()
        service.start()
        pruner.start()
        names = ", ".join(r.projection.name for r in service.runners)
        console.print(f"following the log for {names} (Ctrl-C stops)")
        stop.wait()
        pruner.stop()
        service.stop()


def rebuild(
    names: Annotated[
        list[str],
        typer.Argument(help="Read models: directory, overview, timeline, candidates, or all."),
    ],
) -> None:
    """Rebuild read models from the log in one pass; the old ones serve until the new ones
    are swapped in."""
    known = [p.name for p in PROJECTIONS]
    if "seal" in names:
        raise CliError(SEAL_NOT_REBUILT)
    wanted = known if names == ["all"] else names
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise CliError(f"no read model named {unknown[0]!r} (known: {', '.join(known)}, or all)")
    with opened_stores() as (app, views, settings):
        head = app.last_position()
        with progress(f"rebuilding {', '.join(wanted)}", head) as report:
            rebuilt = rebuild_all(
                app,
                views,
                wanted,
                report,
                batch_size=settings.rebuild_batch_size,
                processes=settings.rebuild_processes,
            )
        for r in rebuilt:
            console.print(f"{r.name} rebuilt as generation {r.generation} at position {r.position}")


def relay() -> None:
    """Publish the event log to NATS JetStream (CASEBOOK_NATS_URL), every event once.

    Creates the stream (CASEBOOK_NATS_STREAM) if it is missing; resumes after the
    stream's last message; stops on SIGINT/SIGTERM.
    """
    if not load_settings().nats_url:
        raise CliError("CASEBOOK_NATS_URL is not set: name the NATS server to publish to")
    with opened_stores() as (app, views, settings):
        publisher = Relay(app, views, settings)
        stop = stopped_by_signal()
        if settings.backend == "postgres":  # woken by each commit's NOTIFY
            threading.Thread(
                target=listen,
                name="listen",
                daemon=True,
                args=(settings, EVENTS_CHANNEL, publisher.wake, stop),
            ).start()
        console.print(
            f"relaying the log to stream {settings.nats_stream} on "
            f"{settings.nats_url} (Ctrl-C stops)"
        )
        try:
            run_blocking(publisher, stop.is_set)
        finally:
            stop.set()
    if publisher.fatal is not None:
        raise CliError(f"relay stopped at position {publisher.position}: {publisher.fatal}")


def run_blocking(relay: Relay, stop: Callable[[], bool]) -> None:
    """Run `relay` in this thread until `stop()` is true."""

    async def main() -> None:
        task = asyncio.create_task(relay.run())
        while not task.done():
            if stop():
                relay.stop()
            await asyncio.wait({task}, timeout=0.2)
        await task

    asyncio.run(main())


def tail(
    subject: Annotated[
        str | None,
        typer.Option(
            help="Subjects to follow, e.g. casebook.165.company.> (default: every event)."
        ),
    ] = None,
    from_position: Annotated[
        int | None,
        typer.Option(min=0, help="Start at this log position (re-creates the consumer)."),
    ] = None,
    durable: Annotated[
        str,
        typer.Option(help="The durable consumer's name: a second run resumes where it left off."),
    ] = "casebook-tail",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print each event as CloudEvents JSON.")
    ] = False,
    limit: Annotated[
        int | None,
        typer.Option(min=1, help="Stop after this many events (default: follow until Ctrl-C)."),
    ] = None,
) -> None:
    """Follow the NATS stream and print each event on one line."""
    settings = load_settings()
    if not settings.nats_url:
        raise CliError("CASEBOOK_NATS_URL is not set: name the NATS server to read from")
    stop = stopped_by_signal()
    options = TailOptions(
        subject or f"{settings.nats_subject_prefix}.>", durable, from_position, as_json, limit
    )
    run_tail(settings, options, lambda line: print(line, flush=True), stop.is_set)


def register(cli: typer.Typer) -> None:
    """Add these commands to the `casebook` command line."""
    for command in (project, rebuild, relay, tail):
        cli.command()(command)
