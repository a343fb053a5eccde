"""Rebuilding read models: one pass over the log feeds every read model being rebuilt.

Each batch of the log is read and decoded once and applied to the new
generation of every read model being rebuilt, in one transaction that also
records each one's position. The old generations keep serving until the new
ones have caught up; then each is swapped in, and the running workers take over.

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

import gc
import multiprocessing
import os
import re
import resource
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from queue import Empty
from typing import Any

import structlog

from infra.settings import Settings
from infra.stores import LogRow
from projections.base import Projection
from projections.registry import PROJECTIONS
from services.eventstore import CasebookApplication, open_application
from services.read.batch import BatchSql, RecordedCopies, RecordedSql, primary_keys
from services.read.db import REGISTRY, ViewDb, prefix_of
from services.read.decoding import LogDecoder, wanted_topics

log = structlog.get_logger()
REBUILD_BATCH_SIZE = 5000  # events per transaction while rebuilding
# From this many events in the log, the log is split between processes (starting one
# costs about a second, a rebuild of this many events several).
SPLIT_FROM = 50_000
POLL_SECONDS = 0.5  # how often a split rebuild reports its progress
# Connections each pool of a part may hold: a part reads with one and writes with one.
PART_CONNECTIONS = 2
# While rebuilding, the cyclic garbage collector runs this much less often (see _bulk_gc).
GC_THRESHOLD = 200_000
_INDEXED = re.compile(r"^CREATE INDEX IF NOT EXISTS \w+ ON (\w+) ")  # its table


@dataclass
class Rebuilt:
    """A read model's new generation and the log position it had reached."""

    name: str
    generation: int
    position: int


class RebuildRunner:
    """Fills new generations of several read models from the log, in one pass."""

    def __init__(self, app: CasebookApplication, views: ViewDb,
                 targets: list[tuple[Projection, int]], *,
                 batch_size: int = REBUILD_BATCH_SIZE, until: int | None = None,
                 part: tuple[int, int] | None = None) -> None:
        self.app = app
        self.views = views
        self.targets = [(projection, generation, primary_keys(projection))
                        for projection, generation in targets]
        self.batch_size = batch_size
        self.until = until  # the last position to apply (None: the log's end)
        # (k, n): only the events of the aggregates in part k of n, and no positions
        # recorded (see the module).
        self.part = part
        # Whether each batch counts the read models' summaries again for what it touched;
        # until their bulk load is done and indexed, a rebuild fills them whole instead.
        self.refresh = False
        self.position = 0
        self._prefetch = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rebuild-read")
        self._ahead: Future[list[tuple[Any, int]]] | None = None
        self._applied = 0  # the position up to which batches are applied (maybe not yet sent)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rebuild-write")
        self._writing: Future[int | None] | None = None
        self._decode = LogDecoder(app.mapper)
        # Per event class, the handlers of the targets that want it (target's index),
        # looked up once.
        self._calls: dict[type, list[tuple[Callable[[Any, int, Any], None], int]]] = {}
        projections = [projection for projection, _ in targets]
        self._wanted = wanted_topics(lambda cls: any(p.wants(cls) for p in projections))

    def _read(self, start: int) -> list[tuple[Any, int]]:
        """The batch from `start` on: (event, position), the event decoded only when a
        target wants it (else None)."""
        decode, wanted = self._decode, self._wanted
        until = self.until
        if self.part is not None:
            rows = self._read_part(start)
        else:
            limit = self.batch_size if until is None else \
                min(self.batch_size, until - start + 1)
            rows = self.app.store.read_log(start, limit, text_ids=True) if limit > 0 else []
        return [(decode(row) if wanted(row[3]) else None, row[0]) for row in rows]

    def _read_part(self, start: int) -> list[LogRow]:
        """A part's next batch: its events among the next `batch_size` times n positions
        (about a batch), or among the following ones where those hold none of them."""
        assert self.part is not None and self.until is not None  # (a part has both)
        span = self.batch_size * self.part[1]
        while start <= self.until:
            limit = min(span, self.until - start + 1)
            rows = self.app.store.read_log(start, limit, text_ids=True, part=self.part)
            if rows:
                return rows
            start += limit
        return []

    def _next(self) -> list[tuple[Any, int]]:
        # The next batch is read and decoded in a second thread while this one writes.
        events = self._ahead.result() if self._ahead is not None else \
            self._read(self._applied + 1)
        self._ahead = self._prefetch.submit(self._read, events[-1][1] + 1) if events \
            else None
        return events

    def run_batch(self) -> int:
        """Apply the next batch to every target; 0 when the log is exhausted or a worker
        has taken a target over (it moved the target's position on).

        The batch's statements are recorded here and sent by a writer thread, while
        this thread works on the next batch; so `position` (committed) may lag what
        has been applied by one batch until `catch_up` returns."""
        events = self._next()
        if not events:
            self._settle()
            return 0
        last = events[-1][1]
        records = [RecordedCopies() if self.views.copies else RecordedSql()
                   for _ in self.targets]
        batches = [BatchSql(record, keys)
                   for record, (_, _, keys) in zip(records, self.targets, strict=True)]
        calls = self._calls
        for event, position in events:  # one pass: each event to every target wanting it
            if event is not None:
                cls = event.__class__
                wanting = calls.get(cls)
                if wanting is None:
                    wanting = calls[cls] = self._wanting(cls)
                for handler, target in wanting:
                    handler(event, position, batches[target])
        recorded = []
        for (projection, generation, _), batch, record in zip(
                self.targets, batches, records, strict=True):
            batch.flush()
            if self.refresh:
                for statement, params in projection.refresh(
                        event for event, _ in events if event is not None):
                    record.execute(statement, params)
            recorded.append((projection.name, generation, record))
        if not self._settle():
            return 0
        self._writing = self._writer.submit(self._write, recorded, self._applied, last)
        self._applied = last
        return len(events)

    def _wanting(self, cls: type) -> list[tuple[Callable[[Any, int, Any], None], int]]:
        """The handlers of events of this class: (handler, the target's index)."""
        return [(handler, i) for i, (projection, _, _) in enumerate(self.targets)
                if (handler := projection.handler_for(cls)) is not None]

    def _write(self, recorded: list[tuple[str, int, RecordedSql]], start: int,
               last: int) -> int | None:
        """Send a batch and move each target's position from `start` to `last`, in one
        transaction; None (and nothing written) if a target is not at `start`. (A part
        only sends the batch. It need not wait for the WAL flush either: the rebuild
        records the parts' position after they are all done, and that commit's flush
        writes every earlier commit's WAL too; a database crash before it fails the
        parts, whose connections it breaks.)"""
        with self.views.transaction() as sql:
            self.views.commit_without_flush(sql)
            if self.part is not None:
                for _, _, record in recorded:
                    record.replay(sql)
                return last
            # Rows locked in name order, as a worker does: in any other, the two can deadlock.
            for name, generation in sorted((name, generation) for name, generation, _ in recorded):
                sql.execute(f"SELECT position FROM {REGISTRY} WHERE name = %s "
                            f"AND generation = %s{self.views.row_lock}", (name, generation))
                if [(int(p),) for (p,) in sql.fetchall()] != [(start,)]:
                    return None
            for name, generation, record in recorded:
                record.replay(sql)
                sql.execute(f"UPDATE {REGISTRY} SET position = %s WHERE name = %s "
                            "AND generation = %s", (last, name, generation))
            self.views.announce(sql)
        return last

    def _settle(self) -> bool:
        """Wait for the batch being written; False if a worker had taken a target over."""
        writing, self._writing = self._writing, None
        if writing is None:
            return True
        last = writing.result()
        if last is None:
            self._ahead, self._applied = None, self.position
            return False
        self.position = last
        return True

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Run batches until the log is exhausted; return the events applied (all
        committed when it returns)."""
        total = 0
        try:
            while count := self.run_batch():
                total += count
                if progress is not None:
                    progress(self._applied)
        finally:
            try:
                self._settle()
            finally:
                self._ahead = None  # what was read ahead may be stale by the next call
                self._applied = self.position
        return total

    def start_at(self, position: int) -> None:
        """Go on from `position`, which every target has reached (committed) elsewhere."""
        self._settle()
        self._ahead = None
        self.position = self._applied = position

    def close(self) -> None:
        """Stop the reading and writing threads."""
        self._prefetch.shutdown(wait=True)
        self._writer.shutdown(wait=True)


@contextmanager
def _bulk_gc() -> Iterator[None]:
    """Collect cycles rarely while rebuilding: a rebuild allocates several objects per
    event and holds a batch of them, so at the default threshold (700 allocations) the
    collector runs every few events and walks the held batch again and again; the
    rebuild's own objects are freed by reference counting."""
    before = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


@dataclass(frozen=True)
class _Part:
    """What one process of a split rebuild does: apply the events of the aggregates in
    part `k` of `n`, up to `until`, to the read models (name, generation)."""

    targets: tuple[tuple[str, int], ...]
    k: int
    n: int
    until: int
    batch_size: int


def _open_part(settings: Settings) -> tuple[CasebookApplication, ViewDb]:
    """The event store and the views of one part, on small pools: with the configured
    ones, each part would open the event store's whole pool at once, and a rebuild split
    between the cores of a large machine would take the database's connections from the
    running service."""
    small = settings.model_copy(update={"db_pool_size": PART_CONNECTIONS})
    return open_application(small, POSTGRES_POOL_SIZE=1,
                            POSTGRES_MAX_OVERFLOW=PART_CONNECTIONS - 1), ViewDb(small)


def _end_with_parent() -> None:
    """End this process as soon as the one that started it ends, however it ends (killed,
    the rebuild runs no `finally` that stops its parts): a part left behind would go on
    filling, with every core, a generation that nothing will use."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_after, args=(parent,), name="rebuild-parent",
                         daemon=True).start()


def _exit_after(parent: BaseProcess) -> None:
    """Wait for the parent to end, then end this process (from a thread, only `os._exit`
    does it at once; the main thread may be waiting on the database)."""
    parent.join()
    os._exit(1)


def _fill(settings: Settings, part: _Part, said: Queue[tuple[str, int, Any]]) -> None:
    """In a process of its own: fill the part's share of the read models, saying how far
    it has come, and that it is done (or why it failed) on `said`. Ctrl-C is left to the
    rebuild's process, which stops the parts."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with_parent()
    try:
        app, views = _open_part(settings)
        try:
            known = {cls.name: cls for cls in PROJECTIONS}
            targets = [(known[name](prefix_of(name, generation)), generation)
                       for name, generation in part.targets]
            runner = RebuildRunner(app, views, targets, batch_size=part.batch_size,
                                   until=part.until, part=(part.k, part.n))
            try:
                with _bulk_gc():
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
    said.put(("done", part.k, PartDone(part.k, used.ru_utime + used.ru_stime,
                                       used.ru_maxrss / 1024)))


@dataclass(frozen=True)
class PartDone:
    """What a part of a split rebuild took: CPU seconds (all its threads) and peak
    resident memory."""

    k: int
    cpu_seconds: float
    peak_rss_mb: float


def _fill_apart(settings: Settings, parts: list[_Part],
                progress: Callable[[int], None]) -> list[PartDone]:
    """Run each part in a process of its own; report the least position the parts have
    reached while they run; raise (and stop the others) if one fails or ends without a
    word (killed: the kernel kills a process so when memory runs out)."""
    # Forked from a server process that has imported this module and started no thread
    # (a fork of this process would copy its threads' locks, and spawning would import
    # the main module again in every part: `casebook`'s imports the whole API).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    said: Queue[tuple[str, int, Any]] = context.Queue()
    processes = {part.k: context.Process(target=_fill, args=(settings, part, said),
                                         name=f"rebuild-{part.k}", daemon=True)
                 for part in parts}
    reached = {part.k: 0 for part in parts}
    done: list[PartDone] = []
    try:
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
                    raise RuntimeError(f"a rebuild process ({ended[0].name}) ended without "
                                       f"a word: {_how_ended(ended[0])}") from None
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


def _how_ended(process: BaseProcess) -> str:
    """`killed by signal 9 (Killed)` or `exit code 1`."""
    code = process.exitcode or 0
    return f"killed by signal {-code} ({signal.strsignal(-code)})" if code < 0 else \
        f"exit code {code}"


def _record_position(views: ViewDb, targets: list[tuple[Projection, int]],
                     position: int) -> None:
    """Record that every target has reached `position` (a split rebuild's parts are
    done), in one transaction."""
    with views.transaction() as sql:
        for projection, generation in targets:
            sql.execute(f"UPDATE {REGISTRY} SET position = %s WHERE name = %s "
                        "AND generation = %s", (position, projection.name, generation))


def _finish(views: ViewDb, targets: list[tuple[Projection, int]], threads: int) -> None:
    """After the bulk load: create the targets' secondary indexes and fill their
    summaries (whose rows come from tables that are all there by now), then gather each
    table's statistics for the planner (PostgreSQL: without them its first plans guess,
    until autovacuum gets round to them, or never where it is off), `threads` statements
    at once. A table's ANALYZE starts as soon as its own indexes and fill are done, the
    largest tables' work first: the longest chain (the timeline's index, then its
    statistics) sets how long this takes."""
    work: dict[str, list[str]] = {}
    for projection, _ in targets:
        for table in projection.table_names():
            work[projection.t(table)] = []
        for statement in projection.ddl():
            indexed = _INDEXED.search(statement)
            if indexed:
                work[indexed.group(1)].append(statement)
        for summary in projection.summaries:
            work[projection.t(summary.table)].append(projection.fill(summary))
    if views.copies:
        [(sizes,)] = views.query(
            "SELECT json_object_agg(t, pg_relation_size(t::regclass)) FROM unnest(%s::text[]) t",
            (list(work),))
        work = dict(sorted(work.items(), key=lambda item: -int(sizes[item[0]])))
    left = {table: len(statements) for table, statements in work.items()}
    ready: list[tuple[str, str | None]] = [
        (statement, table) for table, statements in work.items() for statement in statements]
    if views.copies:
        ready += [(f"ANALYZE {table}", None) for table, n in left.items() if not n]

    def run(statement: str) -> None:
        with views.transaction() as sql:
            sql.execute(statement)

    running: dict[Future[None], str | None] = {}
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rebuild-ddl") as pool:
        while ready or running:
            while ready and len(running) < threads:
                statement, owner = ready.pop(0)
                running[pool.submit(run, statement)] = owner
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                owner = running.pop(future)
                future.result()  # a failure fails the rebuild (the running ones end first)
                if owner is not None:
                    left[owner] -= 1
                    if not left[owner] and views.copies:
                        ready.insert(0, (f"ANALYZE {owner}", None))


def rebuild_all(app: CasebookApplication, views: ViewDb, names: list[str],
                progress: Callable[[int], None], *,
                batch_size: int = REBUILD_BATCH_SIZE, processes: int = 1,
                parts_done: Callable[[PartDone], None] | None = None) -> list[Rebuilt]:
    """Build new generations of the named read models in one pass over the log while
    the old ones serve, then swap them in. With `processes` > 1 on PostgreSQL and a
    long log, the log is split between that many processes (see the module), and
    `parts_done` is told what each took."""
    known = {p.name: p for p in PROJECTIONS}
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ValueError(f"no read model named {', '.join(map(repr, unknown)) or '(none)'} "
                         f"(known: {', '.join(known)})")
    classes = [known[n] for n in dict.fromkeys(names)]
    targets = []
    for cls in classes:
        generation = views.next_generation(cls.name)
        targets.append((views.start_generation(cls, generation, active=False,
                                               indexes=False), generation))
    runner = RebuildRunner(app, views, targets, batch_size=batch_size)
    head = app.last_position()
    split = processes > 1 and views.copies and head >= SPLIT_FROM
    try:
        if split:
            made = tuple((p.name, g) for p, g in targets)
            for done in _fill_apart(views.settings, [
                    _Part(made, k, processes, head, batch_size) for k in range(processes)],
                    progress):
                log.info("rebuild_part_done", part=done.k, of=processes,
                         cpu_seconds=round(done.cpu_seconds, 1),
                         peak_rss_mb=round(done.peak_rss_mb))
                if parts_done is not None:
                    parts_done(done)
            _record_position(views, targets, head)
            runner.start_at(head)  # what arrived meanwhile, to every target together
        with _bulk_gc():
            runner.catch_up(progress)
        # Indexing after the bulk load beats row by row (several at once on PostgreSQL).
        threads = processes if views.copies else 1
        _finish(views, targets, threads)
        for cls, (_, generation) in zip(classes, targets, strict=True):
            views.activate(cls, generation)
        runner.refresh = True  # from here on, batch by batch, as the workers do
        runner.catch_up(progress)  # what arrived during the swaps; then the workers take over
    finally:
        runner.close()
    return [Rebuilt(cls.name, generation, runner.position)
            for cls, (_, generation) in zip(classes, targets, strict=True)]


def rebuild(app: CasebookApplication, views: ViewDb, name: str,
            progress: Callable[[int], None], *,
            batch_size: int = REBUILD_BATCH_SIZE) -> Rebuilt:
    """Rebuild one read model (see `rebuild_all`)."""
    [rebuilt] = rebuild_all(app, views, [name], progress, batch_size=batch_size)
    return rebuilt
