"""A rebuild split between processes: a long log on PostgreSQL, by aggregate.

A rebuild is bound by one core: its threads share Python's interpreter lock. So
on PostgreSQL, for a long log, the log is split between processes
(`Settings.rebuild_processes`) by aggregate: each process reads only the events
of its share of the companies, staff and candidates, in log order, up to the
position the log had when the rebuild began, and applies them to every read
model being rebuilt. That is exact because each row of a read model is written
by the events of one aggregate only (a company's contacts by that company's
events; README, "How to add a read model"). These processes record no position:
the new generations are inactive, nothing resumes them (a rebuild that stops is
run again, into a new generation), and when every process is done the rebuild
records the start's position for all of them at once, indexes the tables, fills
their summaries (`projections/base.py`, `Summary`), and brings them on from there
together, as above.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from queue import Empty
from typing import Any

from infra.settings import Settings
from projections.registry import PROJECTIONS
from services.eventstore import CasebookApplication, open_application
from services.read.db import ProjectionDb, prefix_of
from services.read.rebuild_runner import RebuildRunner, bulk_gc

# From this many events in the log, the log is split between processes (starting one
# costs about a second, a rebuild of this many events several).
SPLIT_FROM = 50_000
POLL_SECONDS = 0.5  # how often a split rebuild reports its progress
# Connections each pool of a part may hold: a part reads with one and writes with one.
PART_CONNECTIONS = 2


@dataclass(frozen=True)
class Part:
    """What one process of a split rebuild does: apply the events of the aggregates in
    part `k` of `n`, up to `until`, to the read models (name, generation)."""

    targets: tuple[tuple[str, int], ...]
    k: int
    n: int
    until: int
    batch_size: int


def open_part(settings: Settings) -> tuple[CasebookApplication, ProjectionDb]:
    """The event store and the views of one part, on small pools: with the configured
    ones, each part would open the event store's whole pool at once, and a rebuild split
    between the cores of a large machine would take the database's connections from the
    running service."""
    small = settings.model_copy(update={"db_pool_size": PART_CONNECTIONS})
    return open_application(
        small, POSTGRES_POOL_SIZE=1, POSTGRES_MAX_OVERFLOW=PART_CONNECTIONS - 1
    ), ProjectionDb(small)


def _end_with_parent() -> None:
    """End this process as soon as the one that started it ends, however it ends (killed,
    the rebuild runs no `finally` that stops its parts): a part left behind would go on
    filling, with every core, a generation that nothing will use."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(
            target=_exit_after, args=(parent,), name="rebuild-parent", daemon=True
        ).start()


def _exit_after(parent: BaseProcess) -> None:
    """Wait for the parent to end, then end this process (from a thread, only `os._exit`
    does it at once; the main thread may be waiting on the database)."""
    parent.join()
    os._exit(1)


def _fill(settings: Settings, part: Part, said: Queue[tuple[str, int, Any]]) -> None:
    """In a process of its own: fill the part's share of the read models, saying how far
    it has come, and that it is done (or why it failed) on `said`. Ctrl-C is left to the
    rebuild's process, which stops the parts."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with_parent()
    try:
        app, views = open_part(settings)
        try:
            known = {cls.name: cls for cls in PROJECTIONS}
            targets = [
                (known[name](prefix_of(name, generation)), generation)
                for name, generation in part.targets
            ]
            runner = RebuildRunner(
                app,
                views,
                targets,
                batch_size=part.batch_size,
                until=part.until,
                part=(part.k, part.n),
            )
            try:
                with bulk_gc():
                    runner.catch_up(lambda position: said.put(("at", part.k, position)))
            finally:
                runner.close()
        finally:
            views.close()
            app.close()
    except BaseException as e:  # the rebuild raises it
        said.put(("failed", part.k, f"{type(e).__name__}: {e}"))
        raise
    used = resource.getrusage(resource.RUSAGE_SELF)
    said.put(
        ("done", part.k, PartDone(part.k, used.ru_utime + used.ru_stime, used.ru_maxrss / 1024))
    )


@dataclass(frozen=True)
class PartDone:
    """What a part of a split rebuild took: CPU seconds (all its threads) and peak
    resident memory."""

    k: int
    cpu_seconds: float
    peak_rss_mb: float


def fill_apart(
    settings: Settings, parts: list[Part], progress: Callable[[int], None]
) -> list[PartDone]:
    """Run each part in a process of its own; report the least position the parts have
    reached while they run; raise (and stop the others) if one fails or ends without a
    word (killed: the kernel kills a process so when memory runs out)."""
    # Forked from a server process that has imported this module and started no thread
    # (a fork of this process would copy its threads' locks).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    said: Queue[tuple[str, int, Any]] = context.Queue()
    processes = {
        part.k: context.Process(
            target=_fill, args=(settings, part, said), name=f"rebuild-{part.k}", daemon=True
        )
        for part in parts
    }
    reached = {part.k: 0 for part in parts}
    done: list[PartDone] = []
    try:
        with _main_left_out():
            for process in processes.values():
                process.start()
        while reached:
            # Seen before the queue is read: what a part says, it says before it ends; so
            # a part seen ended that has said nothing by the time the queue is empty has
            # ended without a word. (While the others talk, the queue is read on at once.)
            ended = [processes[k] for k in reached if processes[k].exitcode not in (None, 0)]
            try:
                what, k, detail = said.get(timeout=0 if ended else POLL_SECONDS)
            except Empty:
                if ended:
                    raise RuntimeError(
                        f"a rebuild process ({ended[0].name}) ended without "
                        f"a word: {_how_ended(ended[0])}"
                    ) from None
                continue
            if what == "failed":
                raise RuntimeError(f"a rebuild process ({processes[k].name}) failed: {detail}")
            if what == "done":
                del reached[k]
                done.append(detail)
            else:
                reached[k] = detail
            progress(min(reached.values(), default=parts[0].until))
    finally:
        for process in processes.values():
            if process.is_alive():
                process.terminate()
            if process.pid is not None:  # (a part that could not start has nothing to join)
                process.join()
    return done


@contextmanager
def _main_left_out() -> Iterator[None]:
    """While parts start, `__main__` names neither a module nor a file.

    Otherwise multiprocessing runs the main module again in every part before its
    target, as `__mp_main__`, forkserver or spawn alike: for `casebook rebuild` the
    CLI, which imports the whole API (about 0.45 s of CPU a part, measured), for
    `python -m bench.rebuild` the benchmark. A part needs nothing of it: its target
    and arguments are this module's and the settings'.
    """
    main = sys.modules["__main__"]
    names: tuple[str, ...] = ("__spec__", "__file__")
    saved = {name: main.__dict__[name] for name in names if name in main.__dict__}
    main.__spec__ = None
    main.__dict__.pop("__file__", None)
    try:
        yield
    finally:
        main.__dict__.update(saved)


def _how_ended(process: BaseProcess) -> str:
    """`killed by signal 9 (Killed)` or `exit code 1`."""
    code = process.exitcode or 0
    return (
        f"killed by signal {-code} ({signal.strsignal(-code)})" if code < 0 else f"exit code {code}"
    )
