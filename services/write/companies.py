"""Use cases of companies: each builds the Command that changes one company's stream."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.company import Company
from domain.errors import CompanyAlreadyRegisteredError, CompanyNotFoundError
from domain.parts import Actor
from domain.values import company_id, normalise_cvr
from infra.municipalities import municipalities
from services.errors import ForbiddenError
from services.write.command import Command, IdempotencyClaim, Reader, on_existing

CompanyAction = Callable[[Company, Actor, Reader], None]
"""A change of a company by the acting staff member (an Actor); it may read staff."""


def _on_company(
    cvr: str,
    by: UUID,
    action: CompanyAction,
    answer_id: UUID | None,
    claim: IdempotencyClaim | None,
    expected_version: int | None,
) -> Command:
    """A command on the registered company with this CVR, recorded for staff member `by`;
    it answers with the CVR (and `answer_id`, the id of what it created or changed)."""
    cvr = normalise_cvr(cvr)

    def not_found() -> CompanyNotFoundError:
        return CompanyNotFoundError(f"no company with CVR {cvr} is registered")

    def act(company: Company, reader: Reader) -> None:
        action(company, reader.staff(by).as_actor(), reader)

    answer = {"cvr": cvr, **({"id": str(answer_id)} if answer_id is not None else {})}
    return on_existing(
        Company,
        company_id(cvr),
        not_found,
        act,
        answer,
        claim=claim,
        expected_version=expected_version,
    )


def register_company(
    *,
    cvr: str,
    name: str,
    municipality: str,
    industry: str,
    by: UUID,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Register a company; its stream id follows from the CVR."""
    cvr = normalise_cvr(cvr)

    def decide(current: Aggregate | None, reader: Reader) -> tuple[Aggregate, dict[str, Any]]:
        if current is not None:
            raise CompanyAlreadyRegisteredError(f"a company with CVR {cvr} is registered")
        company = Company.register(
            cvr=cvr,
            name=name,
            municipality=municipality,
            industry=industry,
            by=reader.staff(by).as_actor(),
            municipalities=municipalities(),
        )
        return company, {"cvr": cvr}

    return Command(company_id(cvr), decide, expected_version, claim)


def change_details(
    *,
    cvr: str,
    by: UUID,
    name: str,
    industry: str,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Correct the company's name or industry."""
    return _on_company(
        cvr,
        by,
        lambda c, actor, _: c.change_details(
            name=name,
            industry=industry,
            by=actor,
        ),
        None,
        claim,
        expected_version,
    )


def assign_contact_person(
    *,
    cvr: str,
    by: UUID,
    staff_id: UUID,
    reason: str,
    handover_note: str,
    may_reassign: bool,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Make a staff member the one contact person, or hand the role over; only someone
    who `may_reassign` (a team lead) takes a company from another contact person."""

    def act(c: Company, actor: Actor, reader: Reader) -> None:
        if not may_reassign:
            _require_own_or_free(c, staff_id, by)
        staff = reader.staff(staff_id).as_actor()
        c.assign_contact_person(staff=staff, reason=reason, handover_note=handover_note, by=actor)

    return _on_company(cvr, by, act, None, claim, expected_version)


def _require_own_or_free(company: Company, staff_id: UUID, by: UUID) -> None:
    """A consultant takes a company that has no contact person, or hands over their own."""
    takes_free = company.contact_person is None and staff_id == by
    if takes_free or company.contact_person == by:
        return
    raise ForbiddenError(
        "a consultant may take a company that has no contact person, or "
        "hand over their own; reassigning others' companies is for team leads"
    )


def log_contact(
    *,
    cvr: str,
    by: UUID,
    contact_id: UUID,
    channel: str,
    occurred_at: datetime,
    summary: str,
    topics: list[str],
    now: datetime,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Log a contact with the company under a new id (late is fine, ahead of time not)."""
    return _on_company(
        cvr,
        by,
        lambda c, actor, _: c.log_contact(
            contact_id=contact_id,
            by=actor,
            channel=channel,
            occurred_at=occurred_at,
            summary=summary,
            topics=topics,
            now=now,
        ),
        contact_id,
        claim,
        expected_version,
    )


def correct_contact(
    *,
    cvr: str,
    by: UUID,
    contact_id: UUID,
    channel: str,
    occurred_at: datetime,
    summary: str,
    topics: list[str],
    reason: str,
    now: datetime,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Correct a logged contact; the original stays in the history."""
    return _on_company(
        cvr,
        by,
        lambda c, actor, _: c.correct_contact(
            contact_id=contact_id,
            channel=channel,
            occurred_at=occurred_at,
            summary=summary,
            topics=topics,
            reason=reason,
            by=actor,
            now=now,
        ),
        contact_id,
        claim,
        expected_version,
    )


def set_contact_preference(
    *,
    cvr: str,
    by: UUID,
    max_contacts_per_month: int,
    preferred_channel: str | None,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Record the company's own cap on contacts per month and preferred channel."""
    return _on_company(
        cvr,
        by,
        lambda c, actor, _: c.set_contact_preference(
            max_contacts_per_month=max_contacts_per_month,
            preferred_channel=preferred_channel,
            by=actor,
        ),
        None,
        claim,
        expected_version,
    )


def register_opening(
    *,
    cvr: str,
    by: UUID,
    opening_id: UUID,
    title: str,
    carved_out_tasks: list[str],
    hours_per_week: int,
    placement_kinds: Sequence[str],
    requirements: list[str],
    positions: int,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Register, under a new id, a job or a carved-out set of tasks the company could fill."""
    return _on_company(
        cvr,
        by,
        lambda c, actor, _: c.register_opening(
            opening_id=opening_id,
            title=title,
            carved_out_tasks=carved_out_tasks,
            hours_per_week=hours_per_week,
            placement_kinds=list(placement_kinds),
            requirements=requirements,
            positions=positions,
            by=actor,
        ),
        opening_id,
        claim,
        expected_version,
    )


def close_opening(
    *,
    cvr: str,
    by: UUID,
    opening_id: UUID,
    reason: str,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Close an opening to further referrals."""
    return _on_company(
        cvr,
        by,
        lambda c, actor, _: c.close_opening(
            opening_id=opening_id,
            reason=reason,
            by=actor,
        ),
        opening_id,
        claim,
        expected_version,
    )


def refer_candidate(
    *,
    cvr: str,
    by: UUID,
    referral_id: UUID,
    opening_id: UUID,
    candidate_id: UUID,
    health_clarified_on: date | None,
    motivation_clarified_on: date | None,
    now: datetime,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Refer a candidate to an open opening, under a new referral id."""
    return _on_company(
        cvr,
        by,
        lambda c, actor, _: c.refer_candidate(
            referral_id=referral_id,
            opening_id=opening_id,
            candidate_id=candidate_id,
            health_clarified_on=health_clarified_on,
            motivation_clarified_on=motivation_clarified_on,
            by=actor,
            now=now,
        ),
        referral_id,
        claim,
        expected_version,
    )


def answer_referral(
    *,
    cvr: str,
    by: UUID,
    referral_id: UUID,
    outcome: str,
    answered_on: date,
    now: datetime,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Record how a referral was answered."""
    return _on_company(
        cvr,
        by,
        lambda c, actor, _: c.answer_referral(
            referral_id=referral_id,
            outcome=outcome,
            answered_on=answered_on,
            by=actor,
            now=now,
        ),
        referral_id,
        claim,
        expected_version,
    )


def start_placement(
    *,
    cvr: str,
    by: UUID,
    placement_id: UUID,
    candidate_id: UUID,
    referral_id: UUID | None,
    kind: str,
    hours_per_week: int,
    starts_on: date,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Start a placement under a new id (ordinary, flex job, wage subsidy or internship)."""
    return _on_company(
        cvr,
        by,
        lambda c, actor, _: c.start_placement(
            placement_id=placement_id,
            candidate_id=candidate_id,
            referral_id=referral_id,
            kind=kind,
            hours_per_week=hours_per_week,
            starts_on=starts_on,
            by=actor,
        ),
        placement_id,
        claim,
        expected_version,
    )


def change_placement(
    *,
    cvr: str,
    by: UUID,
    placement_id: UUID,
    effective_on: date,
    kind: str,
    hours_per_week: int,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Change a placement's kind or hours from a date."""
    return _on_company(
        cvr,
        by,
        lambda c, actor, _: c.change_placement(
            placement_id=placement_id,
            effective_on=effective_on,
            kind=kind,
            hours_per_week=hours_per_week,
            by=actor,
        ),
        placement_id,
        claim,
        expected_version,
    )


def end_placement(
    *,
    cvr: str,
    by: UUID,
    placement_id: UUID,
    ends_on: date,
    reason: str,
    now: datetime,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Record that a placement ended."""
    return _on_company(
        cvr,
        by,
        lambda c, actor, _: c.end_placement(
            placement_id=placement_id,
            ends_on=ends_on,
            reason=reason,
            by=actor,
            now=now,
        ),
        placement_id,
        claim,
        expected_version,
    )


def schedule_follow_up(
    *,
    cvr: str,
    by: UUID,
    follow_up_id: UUID,
    placement_id: UUID,
    due_on: date,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Schedule a follow-up on a running placement, under a new id."""
    return _on_company(
        cvr,
        by,
        lambda c, actor, _: c.schedule_follow_up(
            follow_up_id=follow_up_id,
            placement_id=placement_id,
            due_on=due_on,
            by=actor,
        ),
        follow_up_id,
        claim,
        expected_version,
    )


def complete_follow_up(
    *,
    cvr: str,
    by: UUID,
    follow_up_id: UUID,
    held_on: date,
    status: str,
    now: datetime,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Record that a follow-up was held: on track or at risk."""
    return _on_company(
        cvr,
        by,
        lambda c, actor, _: c.complete_follow_up(
            follow_up_id=follow_up_id,
            held_on=held_on,
            status=status,
            by=actor,
            now=now,
        ),
        follow_up_id,
        claim,
        expected_version,
    )


def agree_commitment(
    *,
    cvr: str,
    by: UUID,
    commitment_id: UUID,
    description: str,
    target_hires: int,
    by_date: date,
    preparation: str,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Agree a concrete target with the company under a new id."""
    return _on_company(
        cvr,
        by,
        lambda c, actor, _: c.agree_commitment(
            commitment_id=commitment_id,
            description=description,
            target_hires=target_hires,
            by_date=by_date,
            preparation=preparation,
            by=actor,
        ),
        commitment_id,
        claim,
        expected_version,
    )


def review_commitment(
    *,
    cvr: str,
    by: UUID,
    commitment_id: UUID,
    reviewed_on: date,
    note: str,
    now: datetime,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Record a review of a commitment with the company."""
    return _on_company(
        cvr,
        by,
        lambda c, actor, _: c.review_commitment(
            commitment_id=commitment_id,
            reviewed_on=reviewed_on,
            note=note,
            by=actor,
            now=now,
        ),
        commitment_id,
        claim,
        expected_version,
    )
