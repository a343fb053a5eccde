"""Use cases of a company's road from a need to a job that lasts: openings, referrals,
placements and follow-ups; each builds the Command that changes the company's stream."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from services.write.command import Command, IdempotencyClaim
from services.write.companies import on_company


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
    return on_company(
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
    return on_company(
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
    """Refer a candidate of the company's municipality to an open opening, under a new
    referral id."""
    return on_company(
        cvr,
        by,
        lambda c, actor, reader: c.refer_candidate(
            referral_id=referral_id,
            opening_id=opening_id,
            candidate_id=reader.candidate_of(c.municipality, candidate_id).id,
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
    return on_company(
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
    """Start a placement under a new id (ordinary, flex job, wage subsidy or internship)
    for a candidate of the company's municipality."""
    return on_company(
        cvr,
        by,
        lambda c, actor, reader: c.start_placement(
            placement_id=placement_id,
            candidate_id=reader.candidate_of(c.municipality, candidate_id).id,
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
    return on_company(
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
    return on_company(
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
    return on_company(
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
    return on_company(
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
