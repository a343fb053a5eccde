"""Whether a staff token's holder still works here.

A token outlives its holder's departure (it is valid until it expires), so every
request with a consultant's or team lead's token is checked against the staff
member's own events: one who has left is refused with 403. The answer is kept for
CASEBOOK_STAFF_CACHE_SECONDS, as the group committer keeps staff members, so a
departure takes effect within that time in every process.
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from fastapi.concurrency import run_in_threadpool

from domain.staff import StaffMember
from infra.cache import BoundedCache
from services.errors import ForbiddenError
from services.http.auth import STAFF_ROLES, Principal
from services.http.container import Services


class Departures:
    """Who has left, as last read from the log, each answer for `ttl` seconds."""

    def __init__(self, ttl: float, size: int = 10_000) -> None:
        self._ttl = ttl
        self._answers: BoundedCache[UUID, tuple[bool, float]] = BoundedCache(size)

    async def refuse_if_left(self, services: Services, who: Principal) -> None:
        """ForbiddenError if the principal is a staff member who has left."""
        staff_id = who.staff_id
        if who.role not in STAFF_ROLES or staff_id is None:
            return
        known = self._answers.get(staff_id)
        if known is not None and time.monotonic() - known[1] <= self._ttl:
            left = known[0]
        else:
            left = await run_in_threadpool(has_left, services, staff_id)
            self._answers.put(staff_id, (left, time.monotonic()))
        if left:
            raise ForbiddenError(
                f"staff member {staff_id} has left: their token no longer grants access"
            )


def has_left(services: Services, staff_id: UUID) -> bool:
    """Whether the staff member's events record that they left (unknown: no)."""
    try:
        member: Any = services.app.repository.get(staff_id)
    except AggregateNotFoundError:
        return False
    return isinstance(member, StaffMember) and not member.active
