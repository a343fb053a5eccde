"""The StaffMember aggregate: who works where, and who has left."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import InvalidValue, StaffAlreadyLeftError, UnknownMunicipalityError
from domain.parts import Actor, require_not_future_date
from domain.values import StaffRole, Unit

TOPIC_PREFIX = "casebook:StaffMember."  # stored topics: stable whatever the class is called


class StaffMember(Aggregate):
    """A member of staff of a job centre, business unit or contracted provider."""

    TOPIC = "casebook:StaffMember"

    class Event(Aggregate.Event):
        TOPIC = TOPIC_PREFIX + "Event"

    class Joined(Aggregate.Created):
        """The person started working with companies."""

        TOPIC = TOPIC_PREFIX + "Joined"
        name: str
        municipality: str
        unit: str
        role: str

        def apply(self, s: StaffMember) -> None:
            s.name, s.municipality, s.unit, s.role = (
                self.name,
                self.municipality,
                self.unit,
                self.role,
            )
            s.left_on = None

    class Moved(Event):
        """The person moved to another municipality, unit or role."""

        TOPIC = TOPIC_PREFIX + "Moved"
        municipality: str
        unit: str
        role: str
        moved_on: date

        def apply(self, s: StaffMember) -> None:
            s.municipality, s.unit, s.role = self.municipality, self.unit, self.role

    class Left(Event):
        """The person left; their name stays in every timeline."""

        TOPIC = TOPIC_PREFIX + "Left"
        left_on: date
        reason: str

        def apply(self, s: StaffMember) -> None:
            s.left_on = self.left_on

    if TYPE_CHECKING:  # state set by the events; not dataclass fields
        name: str
        municipality: str
        unit: str
        role: str
        left_on: date | None

    @classmethod
    def join(
        cls,
        *,
        staff_id: UUID,
        name: str,
        municipality: str,
        unit: Unit,
        role: StaffRole,
        municipalities: Collection[str],
    ) -> StaffMember:
        """Register a staff member."""
        if municipality not in municipalities:
            raise UnknownMunicipalityError(f"unknown municipality code {municipality!r}")
        if not name.strip():
            raise InvalidValue("name must not be blank")
        return cls._create(
            cls.Joined,
            id=staff_id,
            name=name.strip(),
            municipality=municipality,
            unit=str(unit),
            role=str(role),
        )

    def move(
        self,
        *,
        municipality: str,
        unit: Unit,
        role: StaffRole,
        moved_on: date,
        municipalities: Collection[str],
        now: datetime,
    ) -> None:
        """Record a move to another municipality, unit or role (once it has happened)."""
        self._require_active()
        require_not_future_date("moved_on", moved_on, now)
        if municipality not in municipalities:
            raise UnknownMunicipalityError(f"unknown municipality code {municipality!r}")
        self.trigger_event(
            self.Moved,
            municipality=municipality,
            unit=str(unit),
            role=str(role),
            moved_on=moved_on,
        )

    def leave(self, *, left_on: date, reason: str, now: datetime) -> None:
        """Record that the person left."""
        self._require_active()
        require_not_future_date("left_on", left_on, now)
        self.trigger_event(self.Left, left_on=left_on, reason=reason)

    @property
    def active(self) -> bool:
        """Whether the person still works here."""
        return self.left_on is None

    def as_actor(self) -> Actor:
        """This person as the one a command is recorded for."""
        return Actor(self.id, self.municipality, Unit(self.unit), self.active)

    def _require_active(self) -> None:
        if not self.active:
            raise StaffAlreadyLeftError(f"staff member {self.id} has left")
