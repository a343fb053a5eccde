"""The Candidate aggregate: a job seeker, pseudonymous in the log.

Personal data (name, CPR number, contact details, notes) never enters an event in
plain text: the events carry it sealed under a key of the candidate's own, which lives
outside the log. Erasure destroys that key and records `Erased`, so the history stays
replayable while the person is gone. Health details are never recorded at all: only
whether health and motivation were clarified, and when.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import (
    CandidateErasedError,
    CandidateOnLegalHoldError,
    InvalidCprError,
    InvalidValue,
    UnknownMunicipalityError,
)
from domain.parts import Actor, require_not_future_date

TOPIC_PREFIX = "casebook:Candidate."  # stored topics: stable whatever the class is called


def normalise_cpr(text: str) -> str:
    """Ten digits (DDMMYY-SSSS, separators allowed) naming a real day; InvalidCprError."""
    # ASCII digits only: str.isdigit() also takes '²' (which int() refuses) and other
    # scripts' digits, which no CPR number has.
    digits = "".join(ch for ch in text if ch in "0123456789")
    if len(digits) != 10 or len(text.strip()) > 12:
        raise InvalidCprError("a CPR number has ten digits, e.g. 010190-1234")
    day, month, year = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    try:
        date(2000 + year, month, day)
    except ValueError as error:
        raise InvalidCprError(
            "the CPR number does not start with a real date of birth (DDMMYY)"
        ) from error
    return digits


class Candidate(Aggregate):
    """A job seeker referred to companies, known to the log by id only."""

    TOPIC = "casebook:Candidate"

    class Event(Aggregate.Event):
        TOPIC = TOPIC_PREFIX + "Event"

    class Registered(Aggregate.Created):
        """The candidate was registered; `sealed` is their personal data, encrypted."""

        TOPIC = TOPIC_PREFIX + "Registered"
        municipality: str
        sealed: str
        by: UUID

        def apply(self, c: Candidate) -> None:
            c.municipality, c.sealed, c.erased_on = self.municipality, self.sealed, None
            c.health_clarified_on = c.motivation_clarified_on = None

    class Clarified(Event):
        """Health and motivation were clarified (dates only, never details)."""

        TOPIC = TOPIC_PREFIX + "Clarified"
        health_clarified_on: date | None
        motivation_clarified_on: date | None
        by: UUID

        def apply(self, c: Candidate) -> None:
            c.health_clarified_on = self.health_clarified_on or c.health_clarified_on
            c.motivation_clarified_on = self.motivation_clarified_on or c.motivation_clarified_on

    class Erased(Event):
        """The candidate's key was destroyed: their personal data is gone for good."""

        TOPIC = TOPIC_PREFIX + "Erased"
        erased_on: date
        by: UUID

        def apply(self, c: Candidate) -> None:
            c.erased_on = self.erased_on

    if TYPE_CHECKING:  # state set by the events; not dataclass fields
        municipality: str
        sealed: str
        erased_on: date | None
        health_clarified_on: date | None
        motivation_clarified_on: date | None

    @classmethod
    def register(
        cls,
        *,
        candidate_id: UUID,
        municipality: str,
        sealed: str,
        by: Actor,
        municipalities: Collection[str],
    ) -> Candidate:
        """Register a candidate whose personal data has been sealed already."""
        if municipality not in municipalities:
            raise UnknownMunicipalityError(f"unknown municipality code {municipality!r}")
        if not sealed:
            raise InvalidValue("the sealed personal data must not be empty")
        by.require_active()
        return cls._create(
            cls.Registered,
            id=candidate_id,
            municipality=municipality,
            sealed=sealed,
            by=by.staff_id,
        )

    def clarify(
        self,
        *,
        health_clarified_on: date | None,
        motivation_clarified_on: date | None,
        by: Actor,
        now: datetime,
    ) -> None:
        """Record that health and/or motivation were clarified, and when."""
        self._require_present()
        if health_clarified_on is None and motivation_clarified_on is None:
            raise InvalidValue("give health_clarified_on, motivation_clarified_on or both")
        for name, day in (
            ("health_clarified_on", health_clarified_on),
            ("motivation_clarified_on", motivation_clarified_on),
        ):
            if day is not None:
                require_not_future_date(name, day, now)
        self.trigger_event(
            self.Clarified,
            health_clarified_on=health_clarified_on,
            motivation_clarified_on=motivation_clarified_on,
            by=by.staff_id,
        )

    def erase(self, *, by: Actor, now: datetime, legal_holds: Collection[str]) -> None:
        """Record the erasure; refused while an open dispute depends on the candidate."""
        self._require_present()
        if legal_holds:
            raise CandidateOnLegalHoldError(
                f"candidate {self.id} cannot be erased while these invoice disputes are "
                f"open: {', '.join(sorted(legal_holds))}; resolve them first"
            )
        self.trigger_event(self.Erased, erased_on=now.date(), by=by.staff_id)

    @property
    def erased(self) -> bool:
        """Whether the candidate's personal data has been erased."""
        return self.erased_on is not None

    def _require_present(self) -> None:
        if self.erased:
            raise CandidateErasedError(f"candidate {self.id} has been erased")
