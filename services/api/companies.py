"""Routes that record work with a company: every change is one event on its stream."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends

from services.api import schemas as s
from services.http.access import STAFF, Scope, acting_staff, allow, require_municipality
from services.http.auth import Principal, Role
from services.http.commands import CommandAnswer, CommandContext
from services.http.deps import Ctx
from services.write import companies as use

router = APIRouter(prefix="/companies", tags=["companies"])


async def _company_command(
    ctx: Ctx, who: Annotated[Principal, allow(*STAFF, scope=Scope.COMPANY)],
) -> CommandContext:
    ctx.who = who
    return ctx


CompanyCtx = Annotated[CommandContext, Depends(_company_command)]
"""A command on the company named by {cvr}, by staff of its municipality."""


def _acting(ctx: CommandContext, by: UUID | None) -> UUID:
    """The staff member the command is recorded for: the token's own."""
    assert ctx.who is not None
    return acting_staff(ctx.who, by)


@router.post("", status_code=201)
async def register_company(
    body: s.RegisterCompany, ctx: Ctx, who: Annotated[Principal, allow(*STAFF)],
) -> CommandAnswer:
    """Register a company by its CVR number (spaces, hyphens and a DK prefix are fine)."""
    require_municipality(who, body.municipality)
    ctx.who = who
    by = acting_staff(who, body.by)
    return await ctx.run(lambda claim, version: use.register_company(
        cvr=body.cvr, name=body.name, municipality=body.municipality,
        industry=body.industry, by=by, claim=claim, expected_version=version,
    ), body)


@router.post("/{cvr}/details", status_code=200)
async def change_details(cvr: str, body: s.ChangeDetails, ctx: CompanyCtx) -> CommandAnswer:
    """Correct the company's name or industry."""
    by = _acting(ctx, body.by)
    return await ctx.run(lambda claim, version: use.change_details(
        cvr=cvr, by=by, name=body.name, industry=body.industry, claim=claim,
        expected_version=version,
    ), body, 200)


@router.post("/{cvr}/contact-person", status_code=200)
async def assign_contact_person(cvr: str, body: s.AssignContactPerson,
                                ctx: CompanyCtx) -> CommandAnswer:
    """Make a staff member the company's one contact person, or hand the role over."""
    by = _acting(ctx, body.by)
    assert ctx.who is not None
    may_reassign = ctx.who.role is Role.TEAM_LEAD
    return await ctx.run(lambda claim, version: use.assign_contact_person(
        cvr=cvr, by=by, staff_id=body.staff_id, reason=body.reason,
        handover_note=body.handover_note, may_reassign=may_reassign, claim=claim,
        expected_version=version,
    ), body, 200)


@router.post("/{cvr}/contacts", status_code=201)
async def log_contact(cvr: str, body: s.LogContact, ctx: CompanyCtx) -> CommandAnswer:
    """Log a contact with the company (it may be logged late, never ahead of time)."""
    by, new_id = _acting(ctx, body.by), uuid4()
    return await ctx.run(lambda claim, version: use.log_contact(
        cvr=cvr, by=by, contact_id=new_id, channel=body.channel,
        occurred_at=body.occurred_at, summary=body.summary, topics=body.topics,
        now=ctx.now(), claim=claim, expected_version=version,
    ), body)


@router.post("/{cvr}/contacts/{contact_id}/corrections", status_code=201)
async def correct_contact(cvr: str, contact_id: UUID, body: s.CorrectContact,
                    ctx: CompanyCtx) -> CommandAnswer:
    """Correct a logged contact; the original stays in the history."""
    by = _acting(ctx, body.by)
    return await ctx.run(lambda claim, version: use.correct_contact(
        cvr=cvr, by=by, contact_id=contact_id, channel=body.channel,
        occurred_at=body.occurred_at, summary=body.summary, topics=body.topics,
        reason=body.reason, now=ctx.now(), claim=claim, expected_version=version,
    ), body)


@router.put("/{cvr}/contact-preference", status_code=200)
async def set_contact_preference(cvr: str, body: s.SetContactPreference,
                           ctx: CompanyCtx) -> CommandAnswer:
    """Record the company's own cap on contacts per month and preferred channel."""
    by = _acting(ctx, body.by)
    return await ctx.run(lambda claim, version: use.set_contact_preference(
        cvr=cvr, by=by, max_contacts_per_month=body.max_contacts_per_month,
        preferred_channel=body.preferred_channel, claim=claim, expected_version=version,
    ), body, 200)


@router.post("/{cvr}/openings", status_code=201)
async def register_opening(cvr: str, body: s.RegisterOpening, ctx: CompanyCtx) -> CommandAnswer:
    """Register a job or a carved-out set of tasks the company could fill."""
    by, new_id = _acting(ctx, body.by), uuid4()
    return await ctx.run(lambda claim, version: use.register_opening(
        cvr=cvr, by=by, opening_id=new_id, title=body.title,
        carved_out_tasks=body.carved_out_tasks, hours_per_week=body.hours_per_week,
        placement_kinds=body.placement_kinds, requirements=body.requirements,
        positions=body.positions, claim=claim, expected_version=version,
    ), body)


@router.post("/{cvr}/openings/{opening_id}/close", status_code=200)
async def close_opening(cvr: str, opening_id: UUID, body: s.CloseOpening,
                  ctx: CompanyCtx) -> CommandAnswer:
    """Close an opening to further referrals."""
    by = _acting(ctx, body.by)
    return await ctx.run(lambda claim, version: use.close_opening(
        cvr=cvr, by=by, opening_id=opening_id, reason=body.reason, claim=claim,
        expected_version=version,
    ), body, 200)


@router.post("/{cvr}/referrals", status_code=201)
async def refer_candidate(cvr: str, body: s.ReferCandidate, ctx: CompanyCtx) -> CommandAnswer:
    """Refer a candidate to an open opening (health and motivation: clarified or not)."""
    by, new_id = _acting(ctx, body.by), uuid4()
    return await ctx.run(lambda claim, version: use.refer_candidate(
        cvr=cvr, by=by, referral_id=new_id, opening_id=body.opening_id,
        candidate_id=body.candidate_id, health_clarified_on=body.health_clarified_on,
        motivation_clarified_on=body.motivation_clarified_on, now=ctx.now(), claim=claim,
        expected_version=version,
    ), body)


@router.post("/{cvr}/referrals/{referral_id}/answer", status_code=200)
async def answer_referral(cvr: str, referral_id: UUID, body: s.AnswerReferral,
                    ctx: CompanyCtx) -> CommandAnswer:
    """Record how a referral was answered."""
    by = _acting(ctx, body.by)
    return await ctx.run(lambda claim, version: use.answer_referral(
        cvr=cvr, by=by, referral_id=referral_id, outcome=body.outcome,
        answered_on=body.answered_on, now=ctx.now(), claim=claim, expected_version=version,
    ), body, 200)


@router.post("/{cvr}/placements", status_code=201)
async def start_placement(cvr: str, body: s.StartPlacement, ctx: CompanyCtx) -> CommandAnswer:
    """Start a placement (ordinary, flex job, wage subsidy or internship)."""
    by, new_id = _acting(ctx, body.by), uuid4()
    return await ctx.run(lambda claim, version: use.start_placement(
        cvr=cvr, by=by, placement_id=new_id, candidate_id=body.candidate_id,
        referral_id=body.referral_id, kind=body.kind, hours_per_week=body.hours_per_week,
        starts_on=body.starts_on, claim=claim, expected_version=version,
    ), body)


@router.post("/{cvr}/placements/{placement_id}/changes", status_code=201)
async def change_placement(cvr: str, placement_id: UUID, body: s.ChangePlacement,
                     ctx: CompanyCtx) -> CommandAnswer:
    """Change a placement's kind or hours from a date."""
    by = _acting(ctx, body.by)
    return await ctx.run(lambda claim, version: use.change_placement(
        cvr=cvr, by=by, placement_id=placement_id, effective_on=body.effective_on,
        kind=body.kind, hours_per_week=body.hours_per_week, claim=claim,
        expected_version=version,
    ), body)


@router.post("/{cvr}/placements/{placement_id}/end", status_code=200)
async def end_placement(cvr: str, placement_id: UUID, body: s.EndPlacement,
                  ctx: CompanyCtx) -> CommandAnswer:
    """Record that a placement ended."""
    by = _acting(ctx, body.by)
    return await ctx.run(lambda claim, version: use.end_placement(
        cvr=cvr, by=by, placement_id=placement_id, ends_on=body.ends_on,
        reason=body.reason, now=ctx.now(), claim=claim, expected_version=version,
    ), body, 200)


@router.post("/{cvr}/follow-ups", status_code=201)
async def schedule_follow_up(cvr: str, body: s.ScheduleFollowUp,
                             ctx: CompanyCtx) -> CommandAnswer:
    """Schedule a follow-up on a running placement."""
    by, new_id = _acting(ctx, body.by), uuid4()
    return await ctx.run(lambda claim, version: use.schedule_follow_up(
        cvr=cvr, by=by, follow_up_id=new_id, placement_id=body.placement_id,
        due_on=body.due_on, claim=claim, expected_version=version,
    ), body)


@router.post("/{cvr}/follow-ups/{follow_up_id}/complete", status_code=200)
async def complete_follow_up(cvr: str, follow_up_id: UUID, body: s.CompleteFollowUp,
                       ctx: CompanyCtx) -> CommandAnswer:
    """Record that a follow-up was held: on track or at risk."""
    by = _acting(ctx, body.by)
    return await ctx.run(lambda claim, version: use.complete_follow_up(
        cvr=cvr, by=by, follow_up_id=follow_up_id, held_on=body.held_on,
        status=body.status, now=ctx.now(), claim=claim, expected_version=version,
    ), body, 200)


@router.post("/{cvr}/commitments", status_code=201)
async def agree_commitment(cvr: str, body: s.AgreeCommitment, ctx: CompanyCtx) -> CommandAnswer:
    """Agree a concrete target with the company (hires by a date, preparation)."""
    by, new_id = _acting(ctx, body.by), uuid4()
    return await ctx.run(lambda claim, version: use.agree_commitment(
        cvr=cvr, by=by, commitment_id=new_id, description=body.description,
        target_hires=body.target_hires, by_date=body.by_date,
        preparation=body.preparation, claim=claim, expected_version=version,
    ), body)


@router.post("/{cvr}/commitments/{commitment_id}/reviews", status_code=201)
async def review_commitment(cvr: str, commitment_id: UUID, body: s.ReviewCommitment,
                      ctx: CompanyCtx) -> CommandAnswer:
    """Record a review of a commitment with the company."""
    by = _acting(ctx, body.by)
    return await ctx.run(lambda claim, version: use.review_commitment(
        cvr=cvr, by=by, commitment_id=commitment_id, reviewed_on=body.reviewed_on,
        note=body.note, now=ctx.now(), claim=claim, expected_version=version,
    ), body)
