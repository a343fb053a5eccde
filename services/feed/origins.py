"""Which municipality (and CloudEvents subject) an event belongs to.

Most company events do not carry their municipality: the Registered event at
version 1 does, and a company never changes municipality. A staff member's is
in Joined and every Moved (Left carries none). `Origins` remembers the origin
stated by the events it is shown, in log order, and on a miss reads just the
event that states it: a company's first event, or a staff member's latest
Joined/Moved before the event. It never reads a whole company.
"""

from __future__ import annotations

from uuid import UUID

from infra.cache import BoundedCache
from services.eventstore import CasebookApplication
from services.feed.contract import contract_of
from services.feed.logged import LoggedEvent, read_logged
from services.feed.messages import Origin, carried_origin


class Origins:
    """A bounded cache of aggregate id -> Origin, filled in log order."""

    def __init__(self, app: CasebookApplication, capacity: int = 100_000) -> None:
        self._app = app
        self._known: BoundedCache[UUID | str, Origin] = BoundedCache(capacity)
        self.lookups = 0  # reads of the event store on a miss

    def of(self, event: LoggedEvent) -> Origin:
        """The origin of `event`; events must be shown in log order."""
        stated = carried_origin(event)
        if stated is not None:
            self._known.put(event.originator_id, stated)
            return stated
        known = self._known.get(event.originator_id)
        if known is not None:
            return known
        found = self._look_up(event)
        self._known.put(event.originator_id, found)
        return found

    def _look_up(self, event: LoggedEvent) -> Origin:
        self.lookups += 1
        recorder, mapper = self._app.recorder, self._app.mapper
        aggregate_id = UUID(str(event.originator_id))
        if contract_of(event.cls).aggregate in ("company", "candidate", "contract"):
            stored = recorder.select_events(aggregate_id, lte=1)
        else:  # a staff member's stream is a handful of events
            stored = recorder.select_events(aggregate_id, lte=event.version - 1, desc=True)
        for s in stored:
            origin = carried_origin(read_logged(mapper, s, 0))
            if origin is not None:
                return origin
        raise LookupError(f"no event states the municipality of {event.originator_id}")
