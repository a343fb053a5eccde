"""Idempotency records older than the retention are deleted, a batch at a time.

An Idempotency-Key protects a retry for `CASEBOOK_IDEMPOTENCY_RETENTION_DAYS`; after
that its record goes, and the same key and body are a new command. The pruner runs
beside the projection workers (`casebook project`, or `serve` in the embedded mode):
once when it starts and then every `every_seconds`. Each batch is its own short
transaction, with a pause between batches, so commands recording new keys never wait
for it; a batch that fails (the database away) is tried again at the next round.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from infra.clock import local_now
from infra.recorder import IdempotentRecorder

log = structlog.get_logger(__name__)

PRUNE_EVERY_SECONDS = 3600.0
PRUNE_BATCH = 1000
PAUSE_BETWEEN_BATCHES = 0.05


class IdempotencyPruner:
    """Deletes the idempotency records older than the retention."""

    def __init__(
        self,
        store: IdempotentRecorder,
        retention_days: int,
        *,
        every_seconds: float = PRUNE_EVERY_SECONDS,
        batch: int = PRUNE_BATCH,
        clock: Callable[[], datetime] = local_now,
    ) -> None:
        self._store = store
        self._retention = timedelta(days=retention_days)
        self._every = every_seconds
        self._batch = batch
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="idempotency-pruner", daemon=True)

    def prune(self) -> int:
        """Delete every record older than the retention, batch by batch; how many went."""
        cutoff = self._clock() - self._retention
        pruned = 0
        while not self._stop.is_set():
            deleted = self._store.prune_answers(cutoff, self._batch)
            pruned += deleted
            if deleted < self._batch:
                break
            self._stop.wait(PAUSE_BETWEEN_BATCHES)
        if pruned:
            log.info("idempotency_records_pruned", count=pruned, recorded_before=str(cutoff))
        return pruned

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.prune()
            except Exception:  # the database away: the next round tries again
                log.warning("idempotency_pruning_failed", exc_info=True)
            self._stop.wait(self._every)
