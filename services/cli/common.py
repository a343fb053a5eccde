"""What every `casebook` command shares: settings from the environment, the stores, a
progress bar on long work, a stop on SIGINT/SIGTERM, and one line for any failure."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from infra.logging import configure_logging
from infra.settings import Settings
from services.eventstore import CasebookApplication, open_application
from services.read.db import ProjectionDb

console = Console(stderr=True)


class Report(Protocol):
    """Tells a progress bar how far the work has come (and of how much, once known)."""

    def __call__(self, done: int, of: int | None = None) -> None: ...


class CliError(Exception):
    """A failure to report in one line."""


def load_settings() -> Settings:
    """The settings from the environment (CASEBOOK_*), with logging configured by them."""
    settings = Settings()
    configure_logging(settings)
    return settings


@contextmanager
def stores() -> Iterator[tuple[CasebookApplication, ProjectionDb, Settings]]:
    """The event store and the read models' database of these settings, closed after."""
    settings = load_settings()
    app = open_application(settings)
    views = ProjectionDb(settings)
    try:
        yield app, views, settings
    finally:
        views.close()
        app.close()


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Report]:
    """A progress bar on stderr; the block reports how far it has come through the
    callable it is given (and, once it knows, of how much)."""
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task(description, total=total)
        limit = [total]

        def report(done: int, of: int | None = None) -> None:
            limit[0] = of if of is not None else limit[0]
            bar.update(
                task, completed=done if limit[0] is None else min(done, limit[0]), total=limit[0]
            )

        yield report
        if limit[0] is not None:
            bar.update(task, completed=limit[0])


def stopped_by_signal() -> threading.Event:
    """An event that SIGINT or SIGTERM sets: the long-running commands run until it is."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def one_line(e: Exception) -> str:
    """A failure as one line: settings errors name their CASEBOOK_ variable."""
    if isinstance(e, ValidationError):  # settings from the environment
        return "; ".join(
            f"CASEBOOK_{'_'.join(map(str, err['loc'])).upper()}: {err['msg']}" for err in e.errors()
        )
    return " ".join(str(e).split()) or type(e).__name__
