"""The command each company request makes: the request's schema mapped onto its use case
(services/write/companies.py). The JSON routes and the web page's forms build their
commands here, so a field is mapped once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID, uuid4

from services.api import schemas as s
from services.http.commands import Builder
from services.write import companies as use
from services.write import placements


@dataclass(frozen=True)
class On:
    """Where and by whom: the company, the staff member recorded, the clock, whether they
    may reassign others' companies, and the id the request names or creates."""

    cvr: str
    by: UUID
    now: datetime
    may_reassign: bool
    item_id: UUID = field(default_factory=uuid4)


def change_details(b: s.ChangeDetails, on: On) -> Builder:
    """`change_details` for this request body."""
    return lambda claim, version: use.change_details(
        cvr=on.cvr,
        by=on.by,
        name=b.name,
        industry=b.industry,
        claim=claim,
        expected_version=version,
    )


def assign_contact_person(b: s.AssignContactPerson, on: On) -> Builder:
    """`assign_contact_person` for this request body."""
    return lambda claim, version: use.assign_contact_person(
        cvr=on.cvr,
        by=on.by,
        staff_id=b.staff_id,
        reason=b.reason,
        handover_note=b.handover_note,
        may_reassign=on.may_reassign,
        claim=claim,
        expected_version=version,
    )


def log_contact(b: s.LogContact, on: On) -> Builder:
    """`log_contact` for this request body."""
    return lambda claim, version: use.log_contact(
        cvr=on.cvr,
        by=on.by,
        contact_id=on.item_id,
        channel=b.channel,
        occurred_at=b.occurred_at,
        summary=b.summary,
        topics=b.topics,
        now=on.now,
        claim=claim,
        expected_version=version,
    )


def correct_contact(b: s.CorrectContact, on: On) -> Builder:
    """`correct_contact` for this request body."""
    return lambda claim, version: use.correct_contact(
        cvr=on.cvr,
        by=on.by,
        contact_id=on.item_id,
        channel=b.channel,
        occurred_at=b.occurred_at,
        summary=b.summary,
        topics=b.topics,
        reason=b.reason,
        now=on.now,
        claim=claim,
        expected_version=version,
    )


def set_contact_preference(b: s.SetContactPreference, on: On) -> Builder:
    """`set_contact_preference` for this request body."""
    return lambda claim, version: use.set_contact_preference(
        cvr=on.cvr,
        by=on.by,
        max_contacts_per_month=b.max_contacts_per_month,
        preferred_channel=b.preferred_channel,
        claim=claim,
        expected_version=version,
    )


def register_opening(b: s.RegisterOpening, on: On) -> Builder:
    """`register_opening` for this request body."""
    return lambda claim, version: placements.register_opening(
        cvr=on.cvr,
        by=on.by,
        opening_id=on.item_id,
        title=b.title,
        carved_out_tasks=b.carved_out_tasks,
        hours_per_week=b.hours_per_week,
        placement_kinds=b.placement_kinds,
        requirements=b.requirements,
        positions=b.positions,
        claim=claim,
        expected_version=version,
    )


def close_opening(b: s.CloseOpening, on: On) -> Builder:
    """`close_opening` for this request body."""
    return lambda claim, version: placements.close_opening(
        cvr=on.cvr,
        by=on.by,
        opening_id=on.item_id,
        reason=b.reason,
        claim=claim,
        expected_version=version,
    )


def refer_candidate(b: s.ReferCandidate, on: On) -> Builder:
    """`refer_candidate` for this request body."""
    return lambda claim, version: placements.refer_candidate(
        cvr=on.cvr,
        by=on.by,
        referral_id=on.item_id,
        opening_id=b.opening_id,
        candidate_id=b.candidate_id,
        health_clarified_on=b.health_clarified_on,
        motivation_clarified_on=b.motivation_clarified_on,
        now=on.now,
        claim=claim,
        expected_version=version,
    )


def answer_referral(b: s.AnswerReferral, on: On) -> Builder:
    """`answer_referral` for this request body."""
    return lambda claim, version: placements.answer_referral(
        cvr=on.cvr,
        by=on.by,
        referral_id=on.item_id,
        outcome=b.outcome,
        answered_on=b.answered_on,
        now=on.now,
        claim=claim,
        expected_version=version,
    )


def start_placement(b: s.StartPlacement, on: On) -> Builder:
    """`start_placement` for this request body."""
    return lambda claim, version: placements.start_placement(
        cvr=on.cvr,
        by=on.by,
        placement_id=on.item_id,
        candidate_id=b.candidate_id,
        referral_id=b.referral_id,
        kind=b.kind,
        hours_per_week=b.hours_per_week,
        starts_on=b.starts_on,
        claim=claim,
        expected_version=version,
    )


def change_placement(b: s.ChangePlacement, on: On) -> Builder:
    """`change_placement` for this request body."""
    return lambda claim, version: placements.change_placement(
        cvr=on.cvr,
        by=on.by,
        placement_id=on.item_id,
        effective_on=b.effective_on,
        kind=b.kind,
        hours_per_week=b.hours_per_week,
        claim=claim,
        expected_version=version,
    )


def end_placement(b: s.EndPlacement, on: On) -> Builder:
    """`end_placement` for this request body."""
    return lambda claim, version: placements.end_placement(
        cvr=on.cvr,
        by=on.by,
        placement_id=on.item_id,
        ends_on=b.ends_on,
        reason=b.reason,
        now=on.now,
        claim=claim,
        expected_version=version,
    )


def schedule_follow_up(b: s.ScheduleFollowUp, on: On) -> Builder:
    """`schedule_follow_up` for this request body."""
    return lambda claim, version: placements.schedule_follow_up(
        cvr=on.cvr,
        by=on.by,
        follow_up_id=on.item_id,
        placement_id=b.placement_id,
        due_on=b.due_on,
        claim=claim,
        expected_version=version,
    )


def complete_follow_up(b: s.CompleteFollowUp, on: On) -> Builder:
    """`complete_follow_up` for this request body."""
    return lambda claim, version: placements.complete_follow_up(
        cvr=on.cvr,
        by=on.by,
        follow_up_id=on.item_id,
        held_on=b.held_on,
        status=b.status,
        now=on.now,
        claim=claim,
        expected_version=version,
    )


def agree_commitment(b: s.AgreeCommitment, on: On) -> Builder:
    """`agree_commitment` for this request body."""
    return lambda claim, version: use.agree_commitment(
        cvr=on.cvr,
        by=on.by,
        commitment_id=on.item_id,
        description=b.description,
        target_hires=b.target_hires,
        by_date=b.by_date,
        preparation=b.preparation,
        claim=claim,
        expected_version=version,
    )


def review_commitment(b: s.ReviewCommitment, on: On) -> Builder:
    """`review_commitment` for this request body."""
    return lambda claim, version: use.review_commitment(
        cvr=on.cvr,
        by=on.by,
        commitment_id=on.item_id,
        reviewed_on=b.reviewed_on,
        note=b.note,
        now=on.now,
        claim=claim,
        expected_version=version,
    )
