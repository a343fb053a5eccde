"""The Company aggregate: one stream per company holds its whole history.

Commands validate first and then trigger exactly one event, so a refused
command never leaves a half-applied aggregate behind. Event `apply` methods
only evolve state: they run again on every replay.

One file of some 800 lines on purpose: the aggregate, its commands and its nested
events are one declarative unit (the events are the stored contract, named by
`TOPIC_PREFIX`), clearer read whole than split; the entities it is made of live in
`domain/parts.py` and its values in `domain/values.py`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import (
    AlreadyInProgrammeError,
    CandidateAlreadyReferredError,
    CommitmentNotFoundError,
    ContactNotFoundError,
    ContactPersonNotEligibleError,
    ContactPersonUnchangedError,
    ContractPeriodError,
    FollowUpAlreadyCompletedError,
    FollowUpNotFoundError,
    InvalidValue,
    NotInProgrammeError,
    OpeningClosedError,
    OpeningNotFoundError,
    PlacementAlreadyEndedError,
    PlacementDateError,
    PlacementKindNotOfferedError,
    PlacementNotFoundError,
    ProgrammeMunicipalityError,
    ReferralAlreadyAnsweredError,
    ReferralNotFoundError,
    UnknownMunicipalityError,
)
from domain.parts import (
    Actor,
    Commitment,
    FollowUp,
    Ids,
    Opening,
    Placement,
    Referral,
    lookup,
    require_hours,
    require_known,
    require_new,
    require_not_future,
    require_not_future_date,
    require_utc_time,
)
from domain.programme import Participation
from domain.values import company_id, normalise_cvr

TOPIC_PREFIX = "casebook:Company."  # stored topics: stable whatever the class is called


class Company(Aggregate):
    """A company and everything municipal staff did with it."""

    TOPIC = "casebook:Company"

    class Event(Aggregate.Event):
        TOPIC = TOPIC_PREFIX + "Event"

    class Registered(Aggregate.Created):
        """The company entered casebook."""

        TOPIC = TOPIC_PREFIX + "Registered"
        cvr: str
        name: str
        municipality: str
        industry: str
        by: UUID

        def apply(self, c: Company) -> None:
            c.cvr, c.name, c.industry = self.cvr, self.name, self.industry
            c.municipality = self.municipality
            c.contact_person = None
            c.contacts, c.openings, c.referrals = Ids(), {}, {}
            c.placements, c.follow_ups, c.commitments = {}, {}, {}
            c.max_contacts_per_month, c.preferred_channel = None, None

    class DetailsChanged(Event):
        """The company's name or industry changed."""

        TOPIC = TOPIC_PREFIX + "DetailsChanged"
        name: str
        industry: str
        by: UUID

        def apply(self, c: Company) -> None:
            c.name, c.industry = self.name, self.industry

    class ContactPersonAssigned(Event):
        """A staff member became the company's one contact person (or took it over)."""

        TOPIC = TOPIC_PREFIX + "ContactPersonAssigned"
        staff_id: UUID
        previous_staff_id: UUID | None
        reason: str
        handover_note: str
        by: UUID

        def apply(self, c: Company) -> None:
            c.contact_person = self.staff_id

    class ContactLogged(Event):
        """Someone was in contact with the company."""

        TOPIC = TOPIC_PREFIX + "ContactLogged"
        contact_id: UUID
        staff_id: UUID
        unit: str
        channel: str
        occurred_at: datetime
        summary: str
        topics: list[str]

        def apply(self, c: Company) -> None:
            c.contacts.add(self.contact_id)

    class ContactCorrected(Event):
        """A logged contact is superseded by corrected content; the original stays."""

        TOPIC = TOPIC_PREFIX + "ContactCorrected"
        contact_id: UUID
        channel: str
        occurred_at: datetime
        summary: str
        topics: list[str]
        reason: str
        by: UUID

        def apply(self, c: Company) -> None:
            """Nothing the rules ask changes: the contact stays known by its id."""

    class ContactPreferenceSet(Event):
        """The company's own cap on contacts per month and its preferred channel."""

        TOPIC = TOPIC_PREFIX + "ContactPreferenceSet"
        max_contacts_per_month: int
        preferred_channel: str | None
        by: UUID

        def apply(self, c: Company) -> None:
            c.max_contacts_per_month = self.max_contacts_per_month
            c.preferred_channel = self.preferred_channel

    class OpeningRegistered(Event):
        """The company has a job or carved-out tasks that a candidate could fill."""

        TOPIC = TOPIC_PREFIX + "OpeningRegistered"
        opening_id: UUID
        title: str
        carved_out_tasks: list[str]
        hours_per_week: int
        placement_kinds: list[str]
        requirements: list[str]
        positions: int
        by: UUID

        def apply(self, c: Company) -> None:
            kinds = tuple(self.placement_kinds)
            c.openings[self.opening_id] = Opening(kinds, self.positions)

    class OpeningClosed(Event):
        """The opening takes no more referrals."""

        TOPIC = TOPIC_PREFIX + "OpeningClosed"
        opening_id: UUID
        reason: str
        by: UUID

        def apply(self, c: Company) -> None:
            c.openings[self.opening_id].open = False

    class CandidateReferred(Event):
        """A candidate was proposed for an opening; only whether health and
        motivation were clarified is recorded, never what was found."""

        TOPIC = TOPIC_PREFIX + "CandidateReferred"
        referral_id: UUID
        opening_id: UUID
        candidate_id: UUID
        health_clarified: bool
        health_clarified_on: date | None
        motivation_clarified: bool
        motivation_clarified_on: date | None
        by: UUID

        def apply(self, c: Company) -> None:
            c.referrals[self.referral_id] = Referral(self.opening_id, self.candidate_id)

    class ReferralAnswered(Event):
        """The referral was answered: hired, declined by either side, or no-show."""

        TOPIC = TOPIC_PREFIX + "ReferralAnswered"
        referral_id: UUID
        outcome: str
        answered_on: date
        by: UUID

        def apply(self, c: Company) -> None:
            c.referrals[self.referral_id].outcome = self.outcome

    class PlacementStarted(Event):
        """A candidate works (or will work) at the company from `starts_on`."""

        TOPIC = TOPIC_PREFIX + "PlacementStarted"
        placement_id: UUID
        candidate_id: UUID
        referral_id: UUID | None
        kind: str
        hours_per_week: int
        starts_on: date
        by: UUID

        def apply(self, c: Company) -> None:
            c.placements[self.placement_id] = Placement(
                self.candidate_id,
                self.kind,
                self.hours_per_week,
                self.starts_on,
                self.starts_on,
            )

    class PlacementChanged(Event):
        """The placement's kind or hours change from `effective_on`."""

        TOPIC = TOPIC_PREFIX + "PlacementChanged"
        placement_id: UUID
        effective_on: date
        kind: str
        hours_per_week: int
        by: UUID

        def apply(self, c: Company) -> None:
            p = c.placements[self.placement_id]
            p.kind, p.hours_per_week = self.kind, self.hours_per_week
            p.last_change_on = self.effective_on

    class PlacementEnded(Event):
        """The placement ended on `ends_on`."""

        TOPIC = TOPIC_PREFIX + "PlacementEnded"
        placement_id: UUID
        ends_on: date
        reason: str
        by: UUID

        def apply(self, c: Company) -> None:
            c.placements[self.placement_id].ended_on = self.ends_on

    class FollowUpScheduled(Event):
        """A check on a placement is due on `due_on`."""

        TOPIC = TOPIC_PREFIX + "FollowUpScheduled"
        follow_up_id: UUID
        placement_id: UUID
        due_on: date
        by: UUID

        def apply(self, c: Company) -> None:
            c.follow_ups[self.follow_up_id] = FollowUp(self.placement_id, self.due_on)

    class FollowUpCompleted(Event):
        """The follow-up was held; the placement is on track or at risk."""

        TOPIC = TOPIC_PREFIX + "FollowUpCompleted"
        follow_up_id: UUID
        held_on: date
        status: str
        by: UUID

        def apply(self, c: Company) -> None:
            c.follow_ups[self.follow_up_id].completed = True

    class CommitmentAgreed(Event):
        """A concrete target agreed with the company: hires by a date, preparation."""

        TOPIC = TOPIC_PREFIX + "CommitmentAgreed"
        commitment_id: UUID
        description: str
        target_hires: int
        by_date: date
        preparation: str
        by: UUID

        def apply(self, c: Company) -> None:
            c.commitments[self.commitment_id] = Commitment(self.target_hires, self.by_date)

    class CommitmentReviewed(Event):
        """The commitment was reviewed with the company."""

        TOPIC = TOPIC_PREFIX + "CommitmentReviewed"
        commitment_id: UUID
        reviewed_on: date
        note: str
        by: UUID

        def apply(self, c: Company) -> None:
            c.commitments[self.commitment_id].reviews.append(self.reviewed_on)

    class ProgrammeJoined(Event):
        """The company takes part in an outcome contract's programme from `joined_on`."""

        TOPIC = TOPIC_PREFIX + "ProgrammeJoined"
        contract_id: UUID
        programme: str
        joined_on: date
        by: UUID

        def apply(self, c: Company) -> None:
            joined = Participation(self.contract_id, self.programme, self.joined_on)
            c.participations = (*c.programmes(), joined)

    class ProgrammeLeft(Event):
        """The company's last day in the programme it takes part in."""

        TOPIC = TOPIC_PREFIX + "ProgrammeLeft"
        contract_id: UUID
        left_on: date
        by: UUID

        def apply(self, c: Company) -> None:
            *before, current = c.programmes()
            c.participations = (*before, replace(current, left_on=self.left_on))

    # State, set by the events above (declared for readers and type checkers).
    if TYPE_CHECKING:  # state set by the events; not dataclass fields
        cvr: str
        name: str
        municipality: str
        industry: str
        contact_person: UUID | None
        contacts: Ids  # the ids alone: no rule asks more of a contact
        openings: dict[UUID, Opening]
        referrals: dict[UUID, Referral]
        placements: dict[UUID, Placement]
        follow_ups: dict[UUID, FollowUp]
        commitments: dict[UUID, Commitment]
        max_contacts_per_month: int | None
        preferred_channel: str | None
        participations: tuple[Participation, ...]  # absent from snapshots made before

    # --- commands -------------------------------------------------------

    @classmethod
    def register(
        cls,
        *,
        cvr: str,
        name: str,
        municipality: str,
        industry: str,
        by: Actor,
        municipalities: Collection[str],
    ) -> Company:
        """Register a company, identified by its normalised CVR."""
        by.require_active()
        if municipality not in municipalities:
            raise UnknownMunicipalityError(f"unknown municipality code {municipality!r}")
        _require_text("name", name)
        cvr = normalise_cvr(cvr)
        return cls._create(
            cls.Registered,
            id=company_id(cvr),
            cvr=cvr,
            name=name.strip(),
            municipality=municipality,
            industry=industry.strip(),
            by=by.staff_id,
        )

    def change_details(self, *, name: str, industry: str, by: Actor) -> None:
        """Correct the company's name or industry."""
        by.require_active()
        _require_text("name", name)
        self._trigger(self.DetailsChanged, name=name.strip(), industry=industry.strip(), by=by)

    def assign_contact_person(
        self, *, staff: Actor, reason: str, handover_note: str, by: Actor
    ) -> None:
        """Make `staff` the one contact person; with a predecessor it is a handover."""
        by.require_active()
        if not staff.active or staff.municipality != self.municipality:
            raise ContactPersonNotEligibleError(
                f"staff member {staff.staff_id} is not active staff of municipality "
                f"{self.municipality}"
            )
        if staff.staff_id == self.contact_person:
            raise ContactPersonUnchangedError(
                f"staff member {staff.staff_id} is the contact person already"
            )
        self._trigger(
            self.ContactPersonAssigned,
            staff_id=staff.staff_id,
            previous_staff_id=self.contact_person,
            reason=reason,
            handover_note=handover_note,
            by=by,
        )

    def log_contact(
        self,
        *,
        contact_id: UUID,
        by: Actor,
        channel: str,
        occurred_at: datetime,
        summary: str,
        topics: list[str],
        now: datetime,
    ) -> None:
        """Record a contact with the company; it may be logged late, never early."""
        by.require_active()
        require_new("contact", contact_id, self.contacts)
        require_utc_time("occurred_at", occurred_at)
        require_not_future("occurred_at", occurred_at, now)
        self.trigger_event(
            self.ContactLogged,
            contact_id=contact_id,
            staff_id=by.staff_id,
            unit=str(by.unit),
            channel=channel,
            occurred_at=occurred_at,
            summary=summary,
            topics=topics,
        )

    def correct_contact(
        self,
        *,
        contact_id: UUID,
        channel: str,
        occurred_at: datetime,
        summary: str,
        topics: list[str],
        reason: str,
        by: Actor,
        now: datetime,
    ) -> None:
        """Supersede a logged contact with corrected content."""
        by.require_active()
        require_known("contact", contact_id, self.contacts, ContactNotFoundError)
        require_utc_time("occurred_at", occurred_at)
        require_not_future("occurred_at", occurred_at, now)
        self._trigger(
            self.ContactCorrected,
            contact_id=contact_id,
            channel=channel,
            occurred_at=occurred_at,
            summary=summary,
            topics=topics,
            reason=reason,
            by=by,
        )

    def set_contact_preference(
        self, *, max_contacts_per_month: int, preferred_channel: str | None, by: Actor
    ) -> None:
        """Record the company's own cap on contacts per month."""
        by.require_active()
        if not 1 <= max_contacts_per_month <= 100:
            raise InvalidValue("max_contacts_per_month must be 1-100")
        self._trigger(
            self.ContactPreferenceSet,
            max_contacts_per_month=max_contacts_per_month,
            preferred_channel=preferred_channel,
            by=by,
        )

    def register_opening(
        self,
        *,
        opening_id: UUID,
        title: str,
        carved_out_tasks: list[str],
        hours_per_week: int,
        placement_kinds: list[str],
        requirements: list[str],
        positions: int,
        by: Actor,
    ) -> None:
        """Record a job, or carved-out tasks, that a candidate could fill."""
        by.require_active()
        require_new("opening", opening_id, self.openings)
        _require_text("title", title)
        require_hours(hours_per_week)
        if not placement_kinds:
            raise InvalidValue("an opening needs at least one kind of placement")
        if not 1 <= positions <= 100:
            raise InvalidValue("positions must be 1-100")
        self._trigger(
            self.OpeningRegistered,
            opening_id=opening_id,
            title=title.strip(),
            carved_out_tasks=carved_out_tasks,
            hours_per_week=hours_per_week,
            placement_kinds=sorted(set(placement_kinds)),
            requirements=requirements,
            positions=positions,
            by=by,
        )

    def close_opening(self, *, opening_id: UUID, reason: str, by: Actor) -> None:
        """Close an opening to further referrals."""
        by.require_active()
        self._open_opening(opening_id)
        self._trigger(self.OpeningClosed, opening_id=opening_id, reason=reason, by=by)

    def refer_candidate(
        self,
        *,
        referral_id: UUID,
        opening_id: UUID,
        candidate_id: UUID,
        health_clarified_on: date | None,
        motivation_clarified_on: date | None,
        by: Actor,
        now: datetime,
    ) -> None:
        """Propose a candidate for an open opening."""
        by.require_active()
        require_new("referral", referral_id, self.referrals)
        self._open_opening(opening_id)
        for what, day in (
            ("health_clarified_on", health_clarified_on),
            ("motivation_clarified_on", motivation_clarified_on),
        ):
            if day is not None:
                require_not_future_date(what, day, now)
        if any(
            r.opening_id == opening_id and r.candidate_id == candidate_id and r.outcome is None
            for r in self.referrals.values()
        ):
            raise CandidateAlreadyReferredError(
                f"candidate {candidate_id} awaits an answer for opening {opening_id}"
            )
        self._trigger(
            self.CandidateReferred,
            referral_id=referral_id,
            opening_id=opening_id,
            candidate_id=candidate_id,
            health_clarified=health_clarified_on is not None,
            health_clarified_on=health_clarified_on,
            motivation_clarified=motivation_clarified_on is not None,
            motivation_clarified_on=motivation_clarified_on,
            by=by,
        )

    def answer_referral(
        self,
        *,
        referral_id: UUID,
        outcome: str,
        answered_on: date,
        by: Actor,
        now: datetime,
    ) -> None:
        """Record the company's or the candidate's answer to a referral."""
        by.require_active()
        referral = lookup(self.referrals, referral_id, ReferralNotFoundError, "referral")
        if referral.outcome is not None:
            raise ReferralAlreadyAnsweredError(
                f"referral {referral_id} was answered already ({referral.outcome})"
            )
        require_not_future_date("answered_on", answered_on, now)
        self._trigger(
            self.ReferralAnswered,
            referral_id=referral_id,
            outcome=outcome,
            answered_on=answered_on,
            by=by,
        )

    def start_placement(
        self,
        *,
        placement_id: UUID,
        candidate_id: UUID,
        referral_id: UUID | None,
        kind: str,
        hours_per_week: int,
        starts_on: date,
        by: Actor,
    ) -> None:
        """Record a placement; its start may be planned ahead."""
        by.require_active()
        require_new("placement", placement_id, self.placements)
        require_hours(hours_per_week)
        if referral_id is not None:
            referral = lookup(self.referrals, referral_id, ReferralNotFoundError, "referral")
            if referral.candidate_id != candidate_id:
                raise InvalidValue(f"referral {referral_id} is for another candidate")
            if referral.outcome not in (None, "hired"):
                raise ReferralAlreadyAnsweredError(
                    f"referral {referral_id} was answered {referral.outcome}; "
                    "only a hire leads to a placement"
                )
            opening = self.openings[referral.opening_id]
            if kind not in opening.kinds:
                raise PlacementKindNotOfferedError(
                    f"opening {referral.opening_id} offers {', '.join(opening.kinds)}, not {kind}"
                )
        self._trigger(
            self.PlacementStarted,
            placement_id=placement_id,
            candidate_id=candidate_id,
            referral_id=referral_id,
            kind=kind,
            hours_per_week=hours_per_week,
            starts_on=starts_on,
            by=by,
        )

    def change_placement(
        self,
        *,
        placement_id: UUID,
        effective_on: date,
        kind: str,
        hours_per_week: int,
        by: Actor,
    ) -> None:
        """Change a placement's kind or hours from a date."""
        by.require_active()
        placement = self._running_placement(placement_id)
        require_hours(hours_per_week)
        if effective_on < placement.last_change_on:
            raise PlacementDateError(
                f"a change cannot take effect before {placement.last_change_on.isoformat()}"
            )
        self._trigger(
            self.PlacementChanged,
            placement_id=placement_id,
            effective_on=effective_on,
            kind=kind,
            hours_per_week=hours_per_week,
            by=by,
        )

    def end_placement(
        self, *, placement_id: UUID, ends_on: date, reason: str, by: Actor, now: datetime
    ) -> None:
        """Record that a placement ended; once, and not before it started."""
        by.require_active()
        placement = self._running_placement(placement_id)
        if ends_on < placement.last_change_on:
            raise PlacementDateError(
                f"a placement cannot end ({ends_on.isoformat()}) before it starts or last "
                f"changed ({placement.last_change_on.isoformat()})"
            )
        require_not_future_date("ends_on", ends_on, now)
        self._trigger(
            self.PlacementEnded,
            placement_id=placement_id,
            ends_on=ends_on,
            reason=reason,
            by=by,
        )

    def schedule_follow_up(
        self, *, follow_up_id: UUID, placement_id: UUID, due_on: date, by: Actor
    ) -> None:
        """Schedule a check on a running placement."""
        by.require_active()
        require_new("follow-up", follow_up_id, self.follow_ups)
        self._running_placement(placement_id)
        self._trigger(
            self.FollowUpScheduled,
            follow_up_id=follow_up_id,
            placement_id=placement_id,
            due_on=due_on,
            by=by,
        )

    def complete_follow_up(
        self, *, follow_up_id: UUID, held_on: date, status: str, by: Actor, now: datetime
    ) -> None:
        """Record that a follow-up was held, once."""
        by.require_active()
        follow_up = lookup(self.follow_ups, follow_up_id, FollowUpNotFoundError, "follow-up")
        if follow_up.completed:
            raise FollowUpAlreadyCompletedError(f"follow-up {follow_up_id} was completed already")
        require_not_future_date("held_on", held_on, now)
        self._trigger(
            self.FollowUpCompleted,
            follow_up_id=follow_up_id,
            held_on=held_on,
            status=status,
            by=by,
        )

    def agree_commitment(
        self,
        *,
        commitment_id: UUID,
        description: str,
        target_hires: int,
        by_date: date,
        preparation: str,
        by: Actor,
    ) -> None:
        """Agree a concrete target with the company."""
        by.require_active()
        require_new("commitment", commitment_id, self.commitments)
        _require_text("description", description)
        if not 0 <= target_hires <= 1000:
            raise InvalidValue("target_hires must be 0-1000")
        self._trigger(
            self.CommitmentAgreed,
            commitment_id=commitment_id,
            description=description,
            target_hires=target_hires,
            by_date=by_date,
            preparation=preparation,
            by=by,
        )

    def review_commitment(
        self,
        *,
        commitment_id: UUID,
        reviewed_on: date,
        note: str,
        by: Actor,
        now: datetime,
    ) -> None:
        """Record a review of a commitment."""
        by.require_active()
        lookup(self.commitments, commitment_id, CommitmentNotFoundError, "commitment")
        require_not_future_date("reviewed_on", reviewed_on, now)
        self._trigger(
            self.CommitmentReviewed,
            commitment_id=commitment_id,
            reviewed_on=reviewed_on,
            note=note,
            by=by,
        )

    def programmes(self) -> tuple[Participation, ...]:
        """Every programme the company took or takes part in, oldest first."""
        return getattr(self, "participations", ())

    def current_programme(self) -> Participation | None:
        """The programme the company takes part in now (at most one at a time)."""
        found = self.programmes()
        return found[-1] if found and found[-1].left_on is None else None

    def join_programme(
        self,
        *,
        contract_id: UUID,
        programme: str,
        municipality: str,
        period: tuple[date, date],
        joined_on: date,
        by: UUID,
    ) -> None:
        """Take part in a programme of the company's municipality, from a day within the
        contract's period; one programme at a time, and never back-to-back overlapping."""
        if municipality != self.municipality:
            raise ProgrammeMunicipalityError(
                f"company {self.cvr} belongs to municipality {self.municipality}; "
                f"the programme is of {municipality}"
            )
        current = self.current_programme()
        if current is not None:
            raise AlreadyInProgrammeError(
                f"company {self.cvr} takes part in {current.programme!r} since "
                f"{current.joined_on.isoformat()}; it must leave that programme first"
            )
        if not period[0] <= joined_on <= period[1]:
            raise ContractPeriodError(
                f"a company joins within the contract's period ({period[0].isoformat()} to "
                f"{period[1].isoformat()}), not on {joined_on.isoformat()}"
            )
        last = self.programmes()[-1] if self.programmes() else None
        if last is not None and last.left_on is not None and joined_on <= last.left_on:
            raise ContractPeriodError(
                f"company {self.cvr} took part in {last.programme!r} until "
                f"{last.left_on.isoformat()}; it can join again from the day after"
            )
        self.trigger_event(
            self.ProgrammeJoined,
            contract_id=contract_id,
            programme=programme,
            joined_on=joined_on,
            by=by,
        )

    def leave_programme(self, *, contract_id: UUID, left_on: date, by: UUID) -> None:
        """The last day the company takes part in the programme (not before it joined)."""
        current = self.current_programme()
        if current is None or current.contract_id != contract_id:
            raise NotInProgrammeError(
                f"company {self.cvr} does not take part in the programme of contract {contract_id}"
            )
        if left_on < current.joined_on:
            raise ContractPeriodError(
                f"a company cannot leave ({left_on.isoformat()}) before it joined "
                f"({current.joined_on.isoformat()})"
            )
        self.trigger_event(self.ProgrammeLeft, contract_id=contract_id, left_on=left_on, by=by)

    # --- helpers --------------------------------------------------------

    def _trigger(self, event_class: type[Company.Event], *, by: Actor, **kwargs: Any) -> None:
        self.trigger_event(event_class, by=by.staff_id, **kwargs)

    def _open_opening(self, opening_id: UUID) -> Opening:
        opening = lookup(self.openings, opening_id, OpeningNotFoundError, "opening")
        if not opening.open:
            raise OpeningClosedError(f"opening {opening_id} is closed")
        return opening

    def _running_placement(self, placement_id: UUID) -> Placement:
        placement = lookup(self.placements, placement_id, PlacementNotFoundError, "placement")
        if placement.ended_on is not None:
            raise PlacementAlreadyEndedError(
                f"placement {placement_id} ended on {placement.ended_on.isoformat()}"
            )
        return placement


def _require_text(what: str, value: str) -> None:
    if not value.strip():
        raise InvalidValue(f"{what} must not be blank")
