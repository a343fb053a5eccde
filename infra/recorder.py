"""What casebook needs from an event store's application recorder, beyond the library's:
idempotency records kept in the events' transaction, their pruning, and bulk log reads.

A command's idempotency record is written in the transaction that writes its
events, so a retried command either finds the record (and gets the first
answer back) or finds nothing because nothing was written. Records older than
the retention are deleted (`prune_answers`); a command retried after that is a
new command.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID

IDEMPOTENCY_TABLE = "casebook_idempotency"


@dataclass(frozen=True)
class IdempotencyRecord:
    """What a command with an Idempotency-Key did: its event and its answer."""

    key: str
    request_hash: str
    aggregate_id: UUID
    version: int
    response: dict[str, Any]


@dataclass(frozen=True)
class StoredAnswer:
    """The recorded answer to an earlier command with the same key."""

    request_hash: str
    response: dict[str, Any]
    position: int | None


LogRow = tuple[int, Any, int, str, bytes]


class IdempotentRecorder:
    """The extra operations casebook needs from an application recorder."""

    def create_idempotency_table(self) -> None:
        raise NotImplementedError

    def find_answers(self, keys: list[str]) -> dict[str, StoredAnswer]:
        """The recorded answers of those keys that have one."""
        raise NotImplementedError

    def versions(self, aggregate_ids: Sequence[UUID]) -> dict[UUID, int] | None:
        """The stored version of each of these aggregates that has events, in one query;
        None where the store has no other writer to race with (SQLite, memory)."""
        return None

    def prune_answers(self, recorded_before: datetime, limit: int) -> int:
        """Delete up to `limit` of the idempotency records written before that time (a
        timezone-aware datetime), oldest first, in one short transaction; how many went."""
        raise NotImplementedError

    def read_log(
        self, start: int, limit: int, *, text_ids: bool = False, part: tuple[int, int] | None = None
    ) -> list[LogRow]:
        """Up to `limit` stored events from position `start` on, in log order, as plain
        rows: (position, originator id, version, topic, state). For bulk reading.
        With `text_ids` the originator id is its canonical text, not a UUID. With `part`
        (k, n): of the `limit` positions from `start` on, the events of the aggregates in
        part k of n (by a hash of their id; PostgreSQL only)."""
        if part is not None:
            raise NotImplementedError("reading a part of the log needs PostgreSQL")
        select = cast(Any, self).select_notifications
        return [
            (
                n.id,
                str(n.originator_id) if text_ids else n.originator_id,
                n.originator_version,
                n.topic,
                n.state,
            )
            for n in select(start=start, limit=limit)
        ]


def records_of(kwargs: dict[str, Any]) -> Sequence[IdempotencyRecord]:
    """The idempotency records a command's events are inserted with."""
    records: Sequence[IdempotencyRecord] = kwargs.get("idempotency", ())
    return records
