"""Group commit: concurrent commands are decided one by one, then saved together.

Requests submit commands to a queue; one writer thread takes everything queued,
decides each command in turn on the current state of its aggregate, and writes
all resulting events, in decision order, with their idempotency records, in
one transaction. While that commits, the next batch queues up, so the batch
size follows the load. Each command keeps its own answer: a refusal is sent
only once the batch it was decided in is written (it may rest on an earlier
command of the same batch). A batch that loses a race with another process (a
version clash, an Idempotency-Key recorded meanwhile) is retried command by
command on state loaded from the store, so nothing is lost, nothing is applied
twice, and nothing is refused on state that was never written.
"""

from __future__ import annotations

import asyncio
import queue
import random
import threading
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.errors import DomainError
from infra.recorder import IdempotencyRecord, StoredAnswer
from services.errors import (
    CommandTimeoutError,
    ConcurrencyExhaustedError,
    IdempotencyKeyReusedError,
    ShuttingDownError,
    VersionMismatchError,
)
from services.eventstore import CasebookApplication
from services.write.batches import Batch, Decided, Pending, RetryAlone, matches, version_of
from services.write.cache import AggregateCache
from services.write.command import Command, CommandResult, Reader, answer_from_store

log = structlog.get_logger(__name__)
MAX_ATTEMPTS = 25
# A command that lost a race for its aggregate's version to another process waits a
# random time up to 2, 4, 8... ms, at most BACKOFF_CAP_SECONDS, before it tries again:
# under a burst from the other process (16 writers on one company) a fixed, short
# wait lost every try while that burst lasted (1.6 s, then 409).
BACKOFF_CAP_SECONDS = 0.1
COMMAND_TIMEOUT_SECONDS = 60.0
# For this long after losing a race to another process, each batch first checks its
# cached aggregates' versions against the store (one query) and applies the newer
# events to the stale ones, so that writes shared with other processes are decided on
# current state instead of failing as a batch and being retried command by command. A
# process that writes alone never loses a race, and never pays for the check.
RACE_MEMORY_SECONDS = 60.0
TIMEOUT = "the event store did not answer in time; retry with the same Idempotency-Key"


class GroupCommitter:
    """Decides queued commands in order and commits each batch in one transaction."""

    def __init__(
        self,
        app: CasebookApplication,
        *,
        max_batch: int = 500,
        cache_size: int = 10_000,
        staff_ttl_seconds: float = 2.0,
        linger_seconds: float = 0.001,
        on_commit: Callable[[int], None] | None = None,
    ) -> None:
        self._app = app
        self._on_commit = on_commit
        self._max_batch = max_batch
        self._linger = linger_seconds
        self._cache = AggregateCache(self._load, size=cache_size, staff_ttl=staff_ttl_seconds)
        self._queue: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
        self._closed = False
        self._last_batch = 1
        self._raced_at = -RACE_MEMORY_SECONDS
        self.batches = 0
        self.commands = 0
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        """Whether the writer thread is running."""
        return self._thread.is_alive()

    def _enqueue(self, command: Command) -> Pending:
        if self._closed:
            raise ShuttingDownError("casebook is shutting down; retry in a moment")
        pending = Pending(command)
        self._queue.put(pending)
        return pending

    def submit(self, command: Command) -> CommandResult:
        """Queue a command and wait for its own result (or its own error)."""
        pending = self._enqueue(command)
        try:
            return pending.future.result(COMMAND_TIMEOUT_SECONDS)
        except TimeoutError:
            raise CommandTimeoutError(TIMEOUT) from None

    async def submit_async(self, command: Command) -> CommandResult:
        """Queue a command and await its result without holding a thread."""
        pending = self._enqueue(command)
        try:
            return await asyncio.wait_for(
                asyncio.wrap_future(pending.future), COMMAND_TIMEOUT_SECONDS
            )
        except TimeoutError:
            raise CommandTimeoutError(TIMEOUT) from None

    def close(self) -> None:
        """Finish the queued commands, stop the writer, refuse what came too late."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join()
        while True:
            try:
                late = self._queue.get_nowait()
            except queue.Empty:
                return
            if late is not None and late.future.set_running_or_notify_cancel():
                late.future.set_exception(ShuttingDownError("casebook is shutting down"))

    # --- the writer thread ---------------------------------------------

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stop = self._gather(first)
            self._last_batch = len(batch)
            # A command whose caller gave up (timed out) before it was taken is skipped;
            # once taken, its future can no longer be cancelled.
            live = [p for p in batch if p.future.set_running_or_notify_cancel()]
            try:
                self._process(live)
            except Exception as e:  # never let the writer die: fail this batch, go on
                log.exception("committer_failed", size=len(live))
                self._cache.clear()
                for p in live:
                    if not p.future.done():
                        p.future.set_exception(e)
            if stop:
                return

    def _gather(self, first: Pending) -> tuple[list[Pending], bool]:
        """Take what is queued; while the batch is smaller than the last one, linger
        briefly for writers who are still preparing their next command."""
        batch = [first]
        deadline: float | None = None
        while len(batch) < self._max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                if len(batch) >= self._last_batch:
                    break
                now = time.perf_counter()
                deadline = deadline or now + self._linger
                if now >= deadline:
                    break
                try:
                    item = self._queue.get(timeout=deadline - now)
                except queue.Empty:
                    break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _process(self, live: list[Pending]) -> None:
        self.batches += 1
        self.commands += len(live)
        batch = Batch()
        try:
            self._refresh_stale(live)
            self._decide_batch(live, batch)
            self._save(batch)
        except (IntegrityError, RetryAlone) as e:
            if isinstance(e, IntegrityError):  # a race lost to another process
                self._raced_at = time.monotonic()
            self._cache.evict(batch.working)
            log.info("batch_retried_alone", size=len(live), reason=type(e).__name__)
            for p in live:
                if not p.future.done():
                    self._commit_alone(p)
            return
        except Exception as e:  # the store failed: none of the batch was written
            self._cache.evict(batch.working)
            log.error("batch_failed", size=len(live), error=type(e).__name__)
            for p in live:
                if not p.future.done():
                    p.future.set_exception(e)
            return
        self._cache.remember(batch.working.values())
        for p, error in batch.refused:
            self._refuse(p, error)
        for p in batch.deferred:
            self._commit_alone(p)

    def _refresh_stale(self, live: list[Pending]) -> None:
        """Since a recent race: bring the batch's cached aggregates that another process
        has changed up to their stored version (their newer events applied, not the
        whole stream loaded again), or forget them."""
        if time.monotonic() - self._raced_at > RACE_MEMORY_SECONDS:
            return
        cached = self._cache.versions(p.command.target for p in live)
        stored = self._app.store.versions(list(cached)) if cached else None
        if stored is None:
            return
        for target, version in stored.items():
            if version > cached[target]:
                self._cache.catch_up(target, self._newer_events)
        # No events stored at all, or fewer than cached (never in an append-only log):
        # load it whole when next needed.
        self._cache.evict(t for t, v in cached.items() if stored.get(t, 0) < v)

    def _newer_events(self, agg: Aggregate) -> list[Any]:
        """The stored events of this aggregate after its version, as domain events."""
        mapper = self._app.mapper
        return [
            mapper.to_domain_event(e)
            for e in self._app.recorder.select_events(agg.id, gt=agg.version)
        ]

    def _decide_batch(self, live: list[Pending], batch: Batch) -> None:
        claims = [p.command.idempotency.key for p in live if p.command.idempotency]
        answers = self._app.store.find_answers(claims) if claims else {}
        seen: set[str] = set()
        reader = Reader(self._cache.staff, batch.working)
        for p in live:
            claim = p.command.idempotency
            if claim is not None:
                if claim.key in answers:  # recorded since the request looked
                    self._replay(p, answers[claim.key])
                    continue
                if claim.key in seen:  # the same key twice in a batch: after the first
                    batch.deferred.append(p)
                    continue
                seen.add(claim.key)
            try:
                decided, events = self._decide(p.command, batch.working, reader)
            except (DomainError, VersionMismatchError) as e:
                batch.refused.append((p, e))
                continue
            batch.decided.append((p, decided))
            batch.events += events

    def _decide(
        self,
        command: Command,
        working: dict[UUID, Aggregate],
        reader: Reader,
        *,
        alone: bool = False,
    ) -> tuple[Decided, list[Any]]:
        """Decide one command; its events are collected at once, in decision order."""
        target = command.target
        touched = target in working
        if touched:
            agg: Aggregate | None = working[target]
        else:
            agg = self._load(target) if alone else self._cache.get(target)
        expected = command.expected_version
        if expected is not None and not matches(agg, expected):
            if not (touched or alone):  # our cache may be behind another process
                agg = self._load(target)
            if not matches(agg, expected):
                raise VersionMismatchError(expected, version_of(agg))
        try:
            new, body = command.decide(agg, reader)
        except DomainError as e:
            if alone:
                raise
            if agg is not None and agg.pending_events:
                raise RetryAlone from e
            if touched or agg is None or self._load_version(target) <= agg.version:
                raise
            raise RetryAlone from e  # refused on a cache behind another process
        except Exception as e:
            if alone:
                raise
            raise RetryAlone from e
        working[target] = new
        return Decided(new.version, body), list(new.collect_events())

    def _save(self, batch: Batch) -> None:
        records = [
            IdempotencyRecord(
                claim.key,
                claim.request_hash,
                p.command.target,
                d.version,
                d.response(p.command.target),
            )
            for p, d in batch.decided
            if (claim := p.command.idempotency) is not None
        ]
        # Application.save() is bypassed: its per-object protocol checks cost more
        # than the insert itself at these batch sizes. Snapshots are not configured.
        stored = [self._app.mapper.to_stored_event(e) for e in batch.events]
        ids = self._app.recorder.insert_events(stored, idempotency=records) if stored else []
        positions = {
            (UUID(str(s.originator_id)), s.originator_version): n
            for s, n in zip(stored, ids or [], strict=True)
        }
        for p, d in batch.decided:
            position = positions[(p.command.target, d.version)]
            p.future.set_result(CommandResult(p.command.target, d.version, position, d.body))
        if self._on_commit is not None and ids:
            self._on_commit(max(ids))

    def _refuse(self, p: Pending, error: Exception) -> None:
        """Answer a refusal, unless another process recorded the key's answer meanwhile."""
        claim = p.command.idempotency
        if claim is not None and (answer := self._app.store.find_answers([claim.key])):
            self._replay(p, answer[claim.key])
            return
        p.future.set_exception(error)

    def _replay(self, p: Pending, answer: StoredAnswer) -> None:
        assert p.command.idempotency is not None
        try:
            p.future.set_result(answer_from_store(p.command.idempotency, answer))
        except IdempotencyKeyReusedError as e:
            p.future.set_exception(e)

    def _commit_alone(self, p: Pending) -> None:
        """Decide on state loaded from the store (never the cache) and save alone."""
        claim = p.command.idempotency
        for attempt in range(MAX_ATTEMPTS):
            batch = Batch()
            try:
                if claim is not None and (answer := self._app.store.find_answers([claim.key])):
                    self._replay(p, answer[claim.key])
                    return
                decided, batch.events = self._decide(
                    p.command, batch.working, Reader(self._cache.staff, batch.working), alone=True
                )
                batch.decided.append((p, decided))
                self._save(batch)
            except IntegrityError:
                self._raced_at = time.monotonic()
                time.sleep(random.uniform(0, min(0.002 * 2**attempt, BACKOFF_CAP_SECONDS)))
                continue
            except Exception as e:
                p.future.set_exception(e)
                return
            self._cache.remember(batch.working.values())
            return
        p.future.set_exception(
            ConcurrencyExhaustedError("too many concurrent changes to this company; retry")
        )

    # --- the store -------------------------------------------------------

    def _load(self, aggregate_id: UUID) -> Aggregate | None:
        return self._app.find(aggregate_id, Aggregate)

    def _load_version(self, aggregate_id: UUID) -> int:
        return version_of(self._load(aggregate_id))
