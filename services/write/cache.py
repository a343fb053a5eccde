"""The group committer's aggregates as it last decided them (its writer thread only)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate


class AggregateCache:
    """Least recently used aggregates, loaded from the store on a miss.

    Another process may have changed a cached aggregate: the committer finds out
    when its save conflicts. A staff member read by a decision is taken from the
    cache only while it is younger than `staff_ttl` seconds.
    """

    def __init__(
        self, load: Callable[[UUID], Aggregate | None], *, size: int, staff_ttl: float
    ) -> None:
        self._load = load
        self._size = size
        self._staff_ttl = staff_ttl
        self._entries: OrderedDict[UUID, tuple[Aggregate, float]] = OrderedDict()

    def get(self, aggregate_id: UUID) -> Aggregate | None:
        """The cached aggregate, else the stored one (not cached until it is decided on)."""
        hit = self._entries.get(aggregate_id)
        if hit is not None:
            self._entries.move_to_end(aggregate_id)
            return hit[0]
        return self._load(aggregate_id)

    def staff(self, staff_id: UUID) -> Aggregate | None:
        """A staff member from the cache while fresh enough, else from the store."""
        hit = self._entries.get(staff_id)
        if hit is not None and time.monotonic() - hit[1] <= self._staff_ttl:
            return hit[0]
        found = self._load(staff_id)
        if found is not None:
            self.put(found)
        return found

    def versions(self, aggregate_ids: Iterable[UUID]) -> dict[UUID, int]:
        """The cached version of each of these aggregates that is cached."""
        return {
            i: self._entries[i][0].version
            for i in dict.fromkeys(aggregate_ids)
            if i in self._entries
        }

    def catch_up(self, aggregate_id: UUID, newer: Callable[[Aggregate], Iterable[Any]]) -> None:
        """Apply to the cached aggregate the events stored after its version (`newer`
        reads them), or forget it if they do not apply."""
        hit = self._entries.get(aggregate_id)
        if hit is None:
            return
        agg = hit[0]
        try:
            for event in newer(agg):
                event.mutate(agg)
        except Exception:  # a gap, another process mid-write: load it whole next time
            self._entries.pop(aggregate_id, None)
            return
        self.put(agg)

    def put(self, agg: Aggregate) -> None:
        """Keep this aggregate as the latest one, dropping the least recently used."""
        self._entries[agg.id] = (agg, time.monotonic())
        self._entries.move_to_end(agg.id)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def remember(self, aggregates: Iterable[Aggregate]) -> None:
        """Keep the aggregates of a saved batch."""
        for agg in aggregates:
            self.put(agg)

    def evict(self, ids: Iterable[UUID]) -> None:
        """Forget these aggregates (their batch was not saved)."""
        for aggregate_id in ids:
            self._entries.pop(aggregate_id, None)

    def clear(self) -> None:
        """Forget every aggregate."""
        self._entries.clear()
