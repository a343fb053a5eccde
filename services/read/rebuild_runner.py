"""Rebuilding read models: one pass over the log feeds every read model being rebuilt.

Each batch of the log is read and decoded once and applied to the new
generation of every read model being rebuilt, in one transaction that also
records each one's position. The old generations keep serving until the new
ones have caught up; then each is swapped in, and the running workers take over.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from infra.recorder import LogRow
from projections.base import Projection
from services.eventstore import CasebookApplication
from services.read.batch import BatchSql, RecordedCopies, RecordedSql, primary_keys
from services.read.db import REGISTRY, ProjectionDb
from services.read.decoding import LogDecoder, wanted_topics

REBUILD_BATCH_SIZE = 5000  # events per transaction while rebuilding
# While rebuilding, the cyclic garbage collector runs this much less often (see bulk_gc).
GC_THRESHOLD = 200_000


@dataclass
class Rebuilt:
    """A read model's new generation and the log position it had reached."""

    name: str
    generation: int
    position: int


class RebuildRunner:
    """Fills new generations of several read models from the log, in one pass."""

    def __init__(
        self,
        app: CasebookApplication,
        views: ProjectionDb,
        targets: list[tuple[Projection, int]],
        *,
        batch_size: int = REBUILD_BATCH_SIZE,
        until: int | None = None,
        part: tuple[int, int] | None = None,
    ) -> None:
        self.app = app
        self.views = views
        self.targets = [
            (projection, generation, primary_keys(projection)) for projection, generation in targets
        ]
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
            limit = self.batch_size if until is None else min(self.batch_size, until - start + 1)
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
        events = self._ahead.result() if self._ahead is not None else self._read(self._applied + 1)
        self._ahead = self._prefetch.submit(self._read, events[-1][1] + 1) if events else None
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
        records = [RecordedCopies() if self.views.copies else RecordedSql() for _ in self.targets]
        batches = [
            BatchSql(record, keys)
            for record, (_, _, keys) in zip(records, self.targets, strict=True)
        ]
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
            self.targets, batches, records, strict=True
        ):
            batch.flush()
            if self.refresh:
                for statement, params in projection.refresh(
                    event for event, _ in events if event is not None
                ):
                    record.execute(statement, params)
            recorded.append((projection.name, generation, record))
        if not self._settle():
            return 0
        self._writing = self._writer.submit(self._write, recorded, self._applied, last)
        self._applied = last
        return len(events)

    def _wanting(self, cls: type) -> list[tuple[Callable[[Any, int, Any], None], int]]:
        """The handlers of events of this class: (handler, the target's index)."""
        return [
            (handler, i)
            for i, (projection, _, _) in enumerate(self.targets)
            if (handler := projection.handler_for(cls)) is not None
        ]

    def _write(
        self, recorded: list[tuple[str, int, RecordedSql]], start: int, last: int
    ) -> int | None:
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
                sql.execute(
                    f"SELECT position FROM {REGISTRY} WHERE name = %s "
                    f"AND generation = %s{self.views.row_lock}",
                    (name, generation),
                )
                if [(int(p),) for (p,) in sql.fetchall()] != [(start,)]:
                    return None
            for name, generation, record in recorded:
                record.replay(sql)
                sql.execute(
                    f"UPDATE {REGISTRY} SET position = %s WHERE name = %s AND generation = %s",
                    (last, name, generation),
                )
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
def bulk_gc() -> Iterator[None]:
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
