"""Group commit: concurrent commands are decided one by one, then saved together.

Request threads submit commands; one writer thread takes everything queued,
decides each command on the current state (its own success or failure stays
its own), and saves all resulting events in one transaction. While that
transaction commits, new commands queue up and form the next batch, so the
batch size follows the load. A batch that loses a race with another process
(a version clash or a duplicate idempotency key) is retried command by
command on freshly loaded state, so nothing is lost and nothing is applied
twice.
"""

from __future__ import annotations

import asyncio
import queue
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.errors import DomainError, StaffNotFoundError
from domain.staff import StaffMember
from infra.stores import IdempotencyRecord, StoredAnswer
from services.application import CasebookApplication
from services.errors import (
    ANY_VERSION,
    CommandTimeoutError,
    ConcurrencyExhaustedError,
    IdempotencyKeyReusedError,
    VersionMismatchError,
)

log = structlog.get_logger(__name__)
MAX_ATTEMPTS = 25
COMMAND_TIMEOUT_SECONDS = 60.0


class Reader:
    """What a decision may read besides its own aggregate: staff members."""

    def __init__(self, committer: GroupCommitter, working: dict[UUID, Aggregate]) -> None:
        self._committer = committer
        self._working = working

    def staff(self, staff_id: UUID) -> StaffMember:
        """The staff member, as this batch sees it; StaffNotFoundError if unknown."""
        found = self._working.get(staff_id) or self._committer.cached_staff(staff_id)
        if not isinstance(found, StaffMember):
            raise StaffNotFoundError(f"staff member {staff_id} not found")
        return found


Decision = Callable[[Any, Reader], tuple[Aggregate, dict[str, Any]]]


@dataclass(frozen=True)
class IdempotencyClaim:
    """An Idempotency-Key and a hash of the request it came with."""

    key: str
    request_hash: str


@dataclass(frozen=True)
class Command:
    """Change one stream: `decide` gets its current aggregate (or None)."""

    target: UUID
    decide: Decision
    expected_version: int | None = None
    idempotency: IdempotencyClaim | None = None


@dataclass(frozen=True)
class CommandResult:
    """The stream's new version, the log position of the command's event, and details."""

    aggregate_id: UUID
    version: int
    position: int
    body: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False


@dataclass
class _Pending:
    command: Command
    future: Future[CommandResult] = field(default_factory=Future)


@dataclass(frozen=True)
class _Decided:
    version: int
    body: dict[str, Any]

    def response(self, target: UUID) -> dict[str, Any]:
        return {"aggregate_id": str(target), "version": self.version, **self.body}


class _RetryAlone(Exception):
    """A decision failed in a way that may have left its aggregate half-changed."""


def answer_from_store(claim: IdempotencyClaim, answer: StoredAnswer) -> CommandResult:
    """The first answer to a command with this key, or an error if the request differs."""
    if answer.request_hash != claim.request_hash:
        raise IdempotencyKeyReusedError(
            f"Idempotency-Key {claim.key!r} was used for a different request"
        )
    body = dict(answer.response)
    return CommandResult(
        aggregate_id=UUID(body.pop("aggregate_id")), version=int(body.pop("version")),
        position=answer.position or 0, body=body, replayed=True,
    )


class GroupCommitter:
    """Decides queued commands in order and commits each batch in one transaction."""

    def __init__(
        self, app: CasebookApplication, *, max_batch: int = 500, cache_size: int = 10_000,
        staff_ttl_seconds: float = 2.0, linger_seconds: float = 0.0005,
    ) -> None:
        self._app = app
        self._max_batch = max_batch
        self._cache_size = cache_size
        self._staff_ttl = staff_ttl_seconds
        self._cache: OrderedDict[UUID, tuple[Aggregate, float]] = OrderedDict()
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._closed = False
        self._last_batch = 1
        self._linger = linger_seconds
        self.batches = 0
        self.commands = 0
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()

    def submit(self, command: Command) -> CommandResult:
        """Queue a command and wait for its own result (or its own error)."""
        if self._closed:
            raise RuntimeError("the committer is closed")
        pending = _Pending(command)
        self._queue.put(pending)
        try:
            return pending.future.result(COMMAND_TIMEOUT_SECONDS)
        except TimeoutError:
            raise CommandTimeoutError(
                "the event store did not answer in time; retry with the same Idempotency-Key"
            ) from None

    async def submit_async(self, command: Command) -> CommandResult:
        """Queue a command and await its result without holding a thread."""
        if self._closed:
            raise RuntimeError("the committer is closed")
        pending = _Pending(command)
        self._queue.put(pending)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(pending.future),
                                          COMMAND_TIMEOUT_SECONDS)
        except TimeoutError:
            raise CommandTimeoutError(
                "the event store did not answer in time; retry with the same Idempotency-Key"
            ) from None

    def close(self) -> None:
        """Finish the queued commands, then stop the writer thread."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()

    # --- the writer thread ---------------------------------------------

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stop = self._gather(first)
            self._last_batch = len(batch)
            self._process(batch)
            if stop:
                return

    def _gather(self, first: _Pending) -> tuple[list[_Pending], bool]:
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

    def _process(self, batch: list[_Pending]) -> None:
        self.batches += 1
        self.commands += len(batch)
        try:
            self._commit_together(batch)
        except (IntegrityError, _RetryAlone) as e:
            log.info("batch_retried_alone", size=len(batch), reason=type(e).__name__)
            for p in batch:
                if not p.future.done():
                    self._commit_alone(p)
        except Exception as e:  # the store failed: none of the batch was written
            log.error("batch_failed", size=len(batch), error=str(e))
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(e)

    def _commit_together(self, batch: list[_Pending]) -> None:
        working: dict[UUID, Aggregate] = {}
        decided: list[tuple[_Pending, _Decided]] = []
        reader = Reader(self, working)
        try:
            for p in batch:
                try:
                    decided.append((p, self._decide(p.command, working, reader)))
                except (DomainError, VersionMismatchError) as e:
                    p.future.set_exception(e)
            if decided:
                self._save(working, decided)
        except BaseException:
            self._evict(working)
            raise
        self._remember(working)

    def _commit_alone(self, p: _Pending) -> None:
        claim = p.command.idempotency
        for attempt in range(MAX_ATTEMPTS):
            working: dict[UUID, Aggregate] = {}
            try:
                if claim is not None:
                    answer = self._app.store.find_answer(claim.key)
                    if answer is not None:
                        p.future.set_result(answer_from_store(claim, answer))
                        return
                self._evict({p.command.target: None})
                decision = self._decide(p.command, working, Reader(self, working))
                self._save(working, [(p, decision)])
            except IntegrityError:
                self._evict(working)
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
                continue
            except Exception as e:
                self._evict(working)
                p.future.set_exception(e)
                return
            self._remember(working)
            return
        p.future.set_exception(
            ConcurrencyExhaustedError("too many concurrent changes to this company; retry")
        )

    def _decide(
        self, command: Command, working: dict[UUID, Aggregate], reader: Reader
    ) -> _Decided:
        target = command.target
        touched = target in working
        agg = working[target] if touched else self._cached(target)
        if command.expected_version is not None and not _matches(agg, command.expected_version):
            if not touched:  # our cache may be behind another process
                agg = self._load(target)
            if not _matches(agg, command.expected_version):
                raise VersionMismatchError(command.expected_version, _version(agg))
        before = len(agg.pending_events) if agg is not None else 0
        try:
            new, body = command.decide(agg, reader)
        except DomainError:
            if agg is not None and len(agg.pending_events) != before:
                raise _RetryAlone from None
            if touched or agg is None:
                raise
            fresh = self._load(target)  # our cache may be behind: decide again once
            if _version(fresh) == _version(agg):
                raise
            self._evict({target: None})
            agg = fresh
            new, body = command.decide(agg, reader)
        except Exception:
            raise _RetryAlone from None
        working[target] = new
        return _Decided(new.version, body)

    def _save(
        self, working: dict[UUID, Aggregate], decided: list[tuple[_Pending, _Decided]]
    ) -> None:
        records = [
            IdempotencyRecord(
                claim.key, claim.request_hash, p.command.target, d.version,
                d.response(p.command.target),
            )
            for p, d in decided
            if (claim := p.command.idempotency) is not None
        ]
        # Application.save() is bypassed: its per-object protocol checks cost more
        # than the insert itself at these batch sizes. Snapshots are not configured.
        stored = [self._app.mapper.to_stored_event(e)
                  for agg in working.values() for e in agg.collect_events()]
        ids = self._app.recorder.insert_events(stored, idempotency=records) if stored else []
        positions = {
            (UUID(str(s.originator_id)), s.originator_version): n
            for s, n in zip(stored, ids or [], strict=True)
        }
        for p, d in decided:
            position = positions[(p.command.target, d.version)]
            p.future.set_result(CommandResult(p.command.target, d.version, position, d.body))

    # --- the aggregate cache -------------------------------------------

    def _cached(self, aggregate_id: UUID) -> Aggregate | None:
        hit = self._cache.get(aggregate_id)
        if hit is not None:
            self._cache.move_to_end(aggregate_id)
            return hit[0]
        return self._load(aggregate_id)

    def cached_staff(self, staff_id: UUID) -> Aggregate | None:
        """A staff member from the cache while fresh enough, else from the store."""
        hit = self._cache.get(staff_id)
        if hit is not None and time.monotonic() - hit[1] <= self._staff_ttl:
            return hit[0]
        found = self._load(staff_id)
        if found is not None:
            self._put(found)
        return found

    def _load(self, aggregate_id: UUID) -> Aggregate | None:
        return self._app.find(aggregate_id, Aggregate)

    def _put(self, agg: Aggregate) -> None:
        self._cache[agg.id] = (agg, time.monotonic())
        self._cache.move_to_end(agg.id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _remember(self, working: dict[UUID, Aggregate]) -> None:
        for agg in working.values():
            self._put(agg)

    def _evict(self, ids: dict[UUID, Any]) -> None:
        for aggregate_id in ids:
            self._cache.pop(aggregate_id, None)


def _version(agg: Aggregate | None) -> int:
    return agg.version if agg is not None else 0


def _matches(agg: Aggregate | None, expected: int) -> bool:
    """Whether If-Match's version (or `*`, any existing version) holds."""
    if expected == ANY_VERSION:
        return agg is not None
    return _version(agg) == expected
