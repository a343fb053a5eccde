"""The entities inside a Company aggregate, and the Actor who records work."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TypeVar
from uuid import UUID

from domain.errors import (
    BusinessDateInFutureError,
    DomainError,
    DuplicateIdError,
    HoursOutOfRangeError,
    InvalidValue,
    StaffAlreadyLeftError,
)
from domain.values import MAX_HOURS_PER_WEEK, MIN_HOURS_PER_WEEK, Unit

T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """The staff member a command is recorded for, as known when it is decided."""

    staff_id: UUID
    municipality: str
    unit: Unit
    active: bool

    def require_active(self) -> None:
        """Refuse new work from someone who has left."""
        if not self.active:
            raise StaffAlreadyLeftError(
                f"staff member {self.staff_id} has left and cannot record new work"
            )


@dataclass
class Opening:
    """A job or a carved-out set of tasks the company could fill."""

    kinds: tuple[str, ...]
    positions: int
    open: bool = True


@dataclass
class Referral:
    """A candidate proposed for an opening."""

    opening_id: UUID
    candidate_id: UUID
    outcome: str | None = None


@dataclass
class Placement:
    """A candidate working at the company."""

    candidate_id: UUID
    kind: str
    hours_per_week: int
    starts_on: date
    last_change_on: date
    ended_on: date | None = None


@dataclass
class FollowUp:
    """A scheduled or held check on a placement."""

    placement_id: UUID
    due_on: date
    completed: bool = False


@dataclass
class Commitment:
    """A concrete target agreed with the company."""

    target_hires: int
    by_date: date
    reviews: list[date] = field(default_factory=list)


CLOCK_TOLERANCE_SECONDS = 300


def require_not_future(what: str, when: datetime, now: datetime) -> None:
    """Work that has happened cannot lie ahead (beyond a small clock tolerance)."""
    if (when - now).total_seconds() > CLOCK_TOLERANCE_SECONDS:
        raise BusinessDateInFutureError(
            f"{what} {when.isoformat()} lies in the future; log work once it has happened"
        )


def require_utc_time(what: str, when: datetime) -> None:
    """A time must have a time in UTC: the read models keep times in UTC (so that text
    order is time order), and the first hour of year 1 east of Greenwich has none."""
    try:
        when.astimezone(UTC)
    except OverflowError:
        raise InvalidValue(f"{what} {when.isoformat()} has no time in UTC") from None


def require_not_future_date(what: str, day: date, now: datetime) -> None:
    """A business date of something that has happened cannot lie ahead."""
    if day > now.date():
        raise BusinessDateInFutureError(f"{what} {day.isoformat()} lies in the future")


def require_hours(hours: int) -> None:
    """Hours per week lie within 1-37 (flex and part-time jobs are below 37)."""
    if not MIN_HOURS_PER_WEEK <= hours <= MAX_HOURS_PER_WEEK:
        raise HoursOutOfRangeError(
            f"hours per week must be {MIN_HOURS_PER_WEEK}-{MAX_HOURS_PER_WEEK}, got {hours}"
        )


class Ids:
    """A set of entry ids held as their 128-bit integers, about half the memory of a set
    of UUIDs: a company keeps the id of every contact it ever logged, and a command
    writer's cache holds thousands of companies."""

    __slots__ = ("_ints",)

    def __init__(self) -> None:
        self._ints: set[int] = set()

    def add(self, entry_id: UUID) -> None:
        self._ints.add(entry_id.int)

    def __contains__(self, entry_id: object) -> bool:
        return isinstance(entry_id, UUID) and entry_id.int in self._ints

    def __len__(self) -> int:
        return len(self._ints)


def require_new(kind: str, new_id: UUID, existing: Container[UUID]) -> None:
    """Entry ids are unique within the company."""
    if new_id in existing:
        raise DuplicateIdError(f"{kind} {new_id} exists already")


def require_known(
    kind: str, key: UUID, existing: Container[UUID], error: type[DomainError]
) -> None:
    """Raise a not-found error naming the entry unless `key` is one of `existing`."""
    if key not in existing:
        raise error(f"{kind} {key} not found at this company")


def lookup(table: dict[UUID, T], key: UUID, error: type[DomainError], kind: str) -> T:
    """Return `table[key]` or raise a not-found error naming the entry."""
    try:
        return table[key]
    except KeyError:
        raise error(f"{kind} {key} not found at this company") from None
