"""The in-memory event store with casebook's recorder, for unit tests and `memory://`."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory

from infra.recorder import IdempotencyRecord, IdempotentRecorder, StoredAnswer, records_of


class MemoryStoreRecorder(POPOApplicationRecorder, IdempotentRecorder):
    """In memory: the same contract as the database recorders, kept in a dict."""

    def __init__(self) -> None:
        super().__init__()
        self._answers: dict[str, tuple[IdempotencyRecord, int | None, datetime]] = {}
        self._answers_lock = threading.Lock()

    def create_idempotency_table(self) -> None:
        return None

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        records = records_of(kwargs)
        with self._answers_lock:
            keys = [r.key for r in records]
            if len(set(keys)) < len(keys) or any(k in self._answers for k in keys):
                raise IntegrityError("idempotency key recorded already")
            ids = super().insert_events(stored_events, **kwargs)
            by_event = {
                (s.originator_id, s.originator_version): n
                for s, n in zip(stored_events, ids or [], strict=False)
            }
            now = datetime.now(UTC)
            for r in records:
                self._answers[r.key] = (r, by_event.get((r.aggregate_id, r.version)), now)
        return ids

    def find_answers(self, keys: list[str]) -> dict[str, StoredAnswer]:
        found = {k: self._answers[k] for k in keys if k in self._answers}
        return {k: StoredAnswer(r.request_hash, r.response, n) for k, (r, n, _) in found.items()}

    def prune_answers(self, recorded_before: datetime, limit: int) -> int:
        with self._answers_lock:
            old = sorted(
                (at, key) for key, (_, _, at) in self._answers.items() if at < recorded_before
            )[:limit]
            for _, key in old:
                del self._answers[key]
        return len(old)


class MemoryStoreFactory(POPOFactory):
    """In-memory persistence with casebook's recorder."""

    def application_recorder(self) -> MemoryStoreRecorder:
        return MemoryStoreRecorder()
