"""Rebuilding read models: one pass over the log feeds every read model being rebuilt.

Each batch of the log is read and decoded once and applied to the new
generation of every read model being rebuilt, in one transaction that also
records each one's position. The old generations keep serving until the new
ones have caught up; then each is swapped in, and the running workers take over.

A rebuild is bound by one core: its threads share Python's interpreter lock. So
on PostgreSQL, for a long log, the read models are split between processes
(`Settings.rebuild_processes`), each reading the log in one pass of its own and
filling its read models as above (rows and positions in one transaction), up to
the position the log had when the rebuild began; the first process then brings
them all on together from there.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.queues import Queue
from queue import Empty
from typing import Any

from infra.settings import Settings
from projections.base import Projection
from projections.registry import PROJECTIONS
from services.application import CasebookApplication, open_application
from services.batch import BatchSql, RecordedCopies, RecordedSql, primary_keys
from services.logdecode import LogDecoder, wanted_topics
from services.views import REGISTRY, ViewDb, create_indexes, prefix_of

REBUILD_BATCH_SIZE = 5000  # events per transaction while rebuilding
# From this many events in the log, several read models are filled in processes of their
# own (starting one costs about a second, a rebuild of this many events several).
SPLIT_FROM = 50_000
POLL_SECONDS = 0.5  # how often a split rebuild reports its progress
# While rebuilding, the cyclic garbage collector runs this much less often (see _bulk_gc).
GC_THRESHOLD = 200_000


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
                 batch_size: int = REBUILD_BATCH_SIZE, until: int | None = None) -> None:
        self.app = app
        self.views = views
        self.targets = [(projection, generation, primary_keys(projection))
                        for projection, generation in targets]
        self.batch_size = batch_size
        self.until = until  # the last position to apply (None: the log's end)
        self.position = 0
        self._prefetch = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rebuild-read")
        self._ahead: Future[list[tuple[Any, int]]] | None = None
        self._applied = 0  # the position up to which batches are applied (maybe not yet sent)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rebuild-write")
        self._writing: Future[int | None] | None = None
        self._decode = LogDecoder(app.mapper)
        projections = [projection for projection, _ in targets]
        self._wanted = wanted_topics(lambda cls: any(p.wants(cls) for p in projections))

    def _read(self, start: int) -> list[tuple[Any, int]]:
        """The batch from `start` on: (event, position), the event decoded only when a
        target wants it (else None)."""
        decode, wanted = self._decode, self._wanted
        limit = self.batch_size if self.until is None else \
            min(self.batch_size, self.until - start + 1)
        if limit <= 0:
            return []
        return [(decode(row) if wanted(row[3]) else None, row[0])
                for row in self.app.store.read_log(start, limit, text_ids=True)]

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
        recorded = []
        for projection, generation, keys in self.targets:
            record = RecordedCopies() if self.views.copies else RecordedSql()
            batch = BatchSql(record, keys)
            process = projection.process
            for event, position in events:
                if event is not None:
                    process(event, position, batch)
            batch.flush()
            recorded.append((projection.name, generation, record))
        if not self._settle():
            return 0
        self._writing = self._writer.submit(self._write, recorded, self._applied, last)
        self._applied = last
        return len(events)

    def _write(self, recorded: list[tuple[str, int, RecordedSql]], start: int,
               last: int) -> int | None:
        """Send a batch and move each target's position from `start` to `last`, in one
        transaction; None (and nothing written) if a target is not at `start`."""
        with self.views.transaction() as sql:
            self.views.commit_without_flush(sql)
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
    """The read models (name, generation) one process fills, from the log's start to
    `until`."""

    targets: tuple[tuple[str, int], ...]
    until: int
    batch_size: int


def _split(targets: list[tuple[Projection, int]], processes: int, until: int,
           batch_size: int) -> list[_Part]:
    """The targets dealt between at most `processes` parts, in the registry's order
    (directory, overview, timeline, candidates: two parts pair a heavy and a light one)."""
    parts = min(processes, len(targets))
    return [_Part(tuple((p.name, g) for p, g in targets[i::parts]), until, batch_size)
            for i in range(parts)]


def _fill(settings: Settings, part: _Part, done: Queue[tuple[str, str]]) -> None:
    """In a process of its own: fill the part's generations up to `until`, index them,
    and say so (or why not) on `done`."""
    try:
        app, views = open_application(settings), ViewDb(settings)
        try:
            known = {cls.name: cls for cls in PROJECTIONS}
            targets = [(known[name](prefix_of(name, generation)), generation)
                       for name, generation in part.targets]
            runner = RebuildRunner(app, views, targets, batch_size=part.batch_size,
                                   until=part.until)
            try:
                with _bulk_gc():
                    runner.catch_up()
            finally:
                runner.close()
            if runner.position != part.until:
                raise RuntimeError(f"stopped at position {runner.position} of {part.until}")
            for projection, _ in targets:
                create_indexes(views, projection)
        finally:
            views.close()
            app.close()
    except BaseException as e:  # the parent raises it
        done.put(("failed", f"{type(e).__name__}: {e}"))
        raise
    done.put(("done", ""))


def _fill_apart(views: ViewDb, parts: list[_Part],
                progress: Callable[[int], None]) -> None:
    """Run each part in a process of its own; report the least position reached while
    they run; raise (and stop the others) if one fails."""
    context = multiprocessing.get_context("spawn")  # no copy of this process's threads
    done: Queue[tuple[str, str]] = context.Queue()
    processes = [context.Process(target=_fill, args=(views.settings, part, done),
                                 name=f"rebuild-{i}", daemon=True)
                 for i, part in enumerate(parts)]
    targets = [t for part in parts for t in part.targets]
    try:
        for process in processes:
            process.start()
        finished = 0
        while finished < len(processes):
            try:
                outcome, reason = done.get(timeout=POLL_SECONDS)
            except Empty:
                if any(p.exitcode not in (None, 0) for p in processes):
                    raise RuntimeError("a rebuild process ended without a word") from None
            else:
                if outcome == "failed":
                    raise RuntimeError(f"a rebuild process failed: {reason}")
                finished += 1
            progress(views.least_position(targets))
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()


def rebuild_all(app: CasebookApplication, views: ViewDb, names: list[str],
                progress: Callable[[int], None], *,
                batch_size: int = REBUILD_BATCH_SIZE, processes: int = 1) -> list[Rebuilt]:
    """Build new generations of the named read models in one pass over the log while
    the old ones serve, then swap them in. With `processes` > 1 on PostgreSQL and a
    long log, the read models are split between that many processes (see module)."""
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
    try:
        if processes > 1 and len(targets) > 1 and views.copies and head >= SPLIT_FROM:
            _fill_apart(views, _split(targets, processes, head, batch_size), progress)
            runner.start_at(head)  # what arrived meanwhile, to every target together
            runner.catch_up(progress)
        else:
            with _bulk_gc():
                runner.catch_up(progress)
            for projection, _ in targets:  # indexing after the bulk load beats row by row
                create_indexes(views, projection)
        for cls, (_, generation) in zip(classes, targets, strict=True):
            views.activate(cls, generation)
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
