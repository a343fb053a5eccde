"""Routes that record work with a company: every change is one event on its stream."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends

from domain.company import Company
from domain.parts import Actor
from services.api import schemas as s
from services.errors import ForbiddenError
from services.http.access import STAFF, Scope, acting_staff, allow, require_municipality
from services.http.auth import Principal, Role
from services.http.commands import CommandAnswer, CommandContext
from services.http.deps import Ctx
from services.write import companies as commands
from services.write.command import Reader

router = APIRouter(prefix="/companies", tags=["companies"])


async def _company_command(
    ctx: Ctx, who: Annotated[Principal, allow(*STAFF, scope=Scope.COMPANY)],
) -> CommandContext:
    ctx.who = who
    return ctx


CompanyCtx = Annotated[CommandContext, Depends(_company_command)]
"""A command on the company named by {cvr}, by staff of its municipality."""


@router.post("", status_code=201)
async def register_company(
    body: s.RegisterCompany, ctx: Ctx, who: Annotated[Principal, allow(*STAFF)],
) -> CommandAnswer:
    """Register a company by its CVR number (spaces, hyphens and a DK prefix are fine)."""
    require_municipality(who, body.municipality)
    ctx.who = who
    by = acting_staff(who, body.by)
    return await ctx.run(lambda claim, version: commands.register_company(
        cvr=body.cvr, name=body.name, municipality=body.municipality,
        industry=body.industry, by=by, claim=claim, expected_version=version,
    ), body)


async def _on(cvr: str, by: UUID | None, ctx: CommandContext, body: s.Body,
              act: commands.CompanyAction,
        new_id: UUID | None = None, status: int = 201) -> CommandAnswer:
    extra = {"id": str(new_id)} if new_id else {}
    assert ctx.who is not None
    actor = acting_staff(ctx.who, by)
    return await ctx.run(lambda claim, version: commands.company_command(
        cvr, actor, act, extra, expected_version=version, claim=claim,
    ), body, status)


@router.post("/{cvr}/details", status_code=200)
async def change_details(cvr: str, body: s.ChangeDetails, ctx: CompanyCtx) -> CommandAnswer:
    """Correct the company's name or industry."""
    return await _on(cvr, body.by, ctx, body, lambda c, by, _: c.change_details(
        name=body.name, industry=body.industry, by=by,
    ), status=200)


@router.post("/{cvr}/contact-person", status_code=200)
async def assign_contact_person(cvr: str, body: s.AssignContactPerson,
                                ctx: CompanyCtx) -> CommandAnswer:
    """Make a staff member the company's one contact person, or hand the role over."""

    def act(c: Company, by: Actor, reader: Reader) -> None:
        assert ctx.who is not None
        _may_assign(ctx.who, c, body.staff_id)
        staff = reader.staff(body.staff_id).as_actor()
        c.assign_contact_person(staff=staff, reason=body.reason,
                                handover_note=body.handover_note, by=by)

    return await _on(cvr, body.by, ctx, body, act, status=200)


def _may_assign(who: Principal, company: Company, staff_id: UUID) -> None:
    """A team lead reassigns; a consultant takes a free company or hands over their own."""
    if who.role is Role.TEAM_LEAD:
        return
    takes_free = company.contact_person is None and staff_id == who.staff_id
    if takes_free or company.contact_person == who.staff_id:
        return
    raise ForbiddenError("a consultant may take a company that has no contact person, or "
                         "hand over their own; reassigning others' companies is for team leads")


@router.post("/{cvr}/contacts", status_code=201)
async def log_contact(cvr: str, body: s.LogContact, ctx: CompanyCtx) -> CommandAnswer:
    """Log a contact with the company (it may be logged late, never ahead of time)."""
    new_id = uuid4()
    return await _on(cvr, body.by, ctx, body, lambda c, by, _: c.log_contact(
        contact_id=new_id, by=by, channel=body.channel, occurred_at=body.occurred_at,
        summary=body.summary, topics=body.topics, now=ctx.now(),
    ), new_id)


@router.post("/{cvr}/contacts/{contact_id}/corrections", status_code=201)
async def correct_contact(cvr: str, contact_id: UUID, body: s.CorrectContact,
                    ctx: CompanyCtx) -> CommandAnswer:
    """Correct a logged contact; the original stays in the history."""
    return await _on(cvr, body.by, ctx, body, lambda c, by, _: c.correct_contact(
        contact_id=contact_id, channel=body.channel, occurred_at=body.occurred_at,
        summary=body.summary, topics=body.topics, reason=body.reason, by=by, now=ctx.now(),
    ), contact_id)


@router.put("/{cvr}/contact-preference", status_code=200)
async def set_contact_preference(cvr: str, body: s.SetContactPreference,
                           ctx: CompanyCtx) -> CommandAnswer:
    """Record the company's own cap on contacts per month and preferred channel."""
    return await _on(cvr, body.by, ctx, body, lambda c, by, _: c.set_contact_preference(
        max_contacts_per_month=body.max_contacts_per_month,
        preferred_channel=body.preferred_channel, by=by,
    ), status=200)


@router.post("/{cvr}/openings", status_code=201)
async def register_opening(cvr: str, body: s.RegisterOpening, ctx: CompanyCtx) -> CommandAnswer:
    """Register a job or a carved-out set of tasks the company could fill."""
    new_id = uuid4()
    return await _on(cvr, body.by, ctx, body, lambda c, by, _: c.register_opening(
        opening_id=new_id, title=body.title, carved_out_tasks=body.carved_out_tasks,
        hours_per_week=body.hours_per_week, placement_kinds=list(body.placement_kinds),
        requirements=body.requirements, positions=body.positions, by=by,
    ), new_id)


@router.post("/{cvr}/openings/{opening_id}/close", status_code=200)
async def close_opening(cvr: str, opening_id: UUID, body: s.CloseOpening,
                  ctx: CompanyCtx) -> CommandAnswer:
    """Close an opening to further referrals."""
    return await _on(cvr, body.by, ctx, body, lambda c, by, _: c.close_opening(
        opening_id=opening_id, reason=body.reason, by=by,
    ), opening_id, 200)


@router.post("/{cvr}/referrals", status_code=201)
async def refer_candidate(cvr: str, body: s.ReferCandidate, ctx: CompanyCtx) -> CommandAnswer:
    """Refer a candidate to an open opening (health and motivation: clarified or not)."""
    new_id = uuid4()
    return await _on(cvr, body.by, ctx, body, lambda c, by, _: c.refer_candidate(
        referral_id=new_id, opening_id=body.opening_id, candidate_id=body.candidate_id,
        health_clarified_on=body.health_clarified_on,
        motivation_clarified_on=body.motivation_clarified_on, by=by, now=ctx.now(),
    ), new_id)


@router.post("/{cvr}/referrals/{referral_id}/answer", status_code=200)
async def answer_referral(cvr: str, referral_id: UUID, body: s.AnswerReferral,
                    ctx: CompanyCtx) -> CommandAnswer:
    """Record how a referral was answered."""
    return await _on(cvr, body.by, ctx, body, lambda c, by, _: c.answer_referral(
        referral_id=referral_id, outcome=body.outcome, answered_on=body.answered_on,
        by=by, now=ctx.now(),
    ), referral_id, 200)


@router.post("/{cvr}/placements", status_code=201)
async def start_placement(cvr: str, body: s.StartPlacement, ctx: CompanyCtx) -> CommandAnswer:
    """Start a placement (ordinary, flex job, wage subsidy or internship)."""
    new_id = uuid4()
    return await _on(cvr, body.by, ctx, body, lambda c, by, _: c.start_placement(
        placement_id=new_id, candidate_id=body.candidate_id, referral_id=body.referral_id,
        kind=body.kind, hours_per_week=body.hours_per_week, starts_on=body.starts_on, by=by,
    ), new_id)


@router.post("/{cvr}/placements/{placement_id}/changes", status_code=201)
async def change_placement(cvr: str, placement_id: UUID, body: s.ChangePlacement,
                     ctx: CompanyCtx) -> CommandAnswer:
    """Change a placement's kind or hours from a date."""
    return await _on(cvr, body.by, ctx, body, lambda c, by, _: c.change_placement(
        placement_id=placement_id, effective_on=body.effective_on, kind=body.kind,
        hours_per_week=body.hours_per_week, by=by,
    ), placement_id)


@router.post("/{cvr}/placements/{placement_id}/end", status_code=200)
async def end_placement(cvr: str, placement_id: UUID, body: s.EndPlacement,
                  ctx: CompanyCtx) -> CommandAnswer:
    """Record that a placement ended."""
    return await _on(cvr, body.by, ctx, body, lambda c, by, _: c.end_placement(
        placement_id=placement_id, ends_on=body.ends_on, reason=body.reason, by=by,
        now=ctx.now(),
    ), placement_id, 200)


@router.post("/{cvr}/follow-ups", status_code=201)
async def schedule_follow_up(cvr: str, body: s.ScheduleFollowUp,
                             ctx: CompanyCtx) -> CommandAnswer:
    """Schedule a follow-up on a running placement."""
    new_id = uuid4()
    return await _on(cvr, body.by, ctx, body, lambda c, by, _: c.schedule_follow_up(
        follow_up_id=new_id, placement_id=body.placement_id, due_on=body.due_on, by=by,
    ), new_id)


@router.post("/{cvr}/follow-ups/{follow_up_id}/complete", status_code=200)
async def complete_follow_up(cvr: str, follow_up_id: UUID, body: s.CompleteFollowUp,
                       ctx: CompanyCtx) -> CommandAnswer:
    """Record that a follow-up was held: on track or at risk."""
    return await _on(cvr, body.by, ctx, body, lambda c, by, _: c.complete_follow_up(
        follow_up_id=follow_up_id, held_on=body.held_on, status=body.status, by=by,
        now=ctx.now(),
    ), follow_up_id, 200)


@router.post("/{cvr}/commitments", status_code=201)
async def agree_commitment(cvr: str, body: s.AgreeCommitment, ctx: CompanyCtx) -> CommandAnswer:
    """Agree a concrete target with the company (hires by a date, preparation)."""
    new_id = uuid4()
    return await _on(cvr, body.by, ctx, body, lambda c, by, _: c.agree_commitment(
        commitment_id=new_id, description=body.description, target_hires=body.target_hires,
        by_date=body.by_date, preparation=body.preparation, by=by,
    ), new_id)


@router.post("/{cvr}/commitments/{commitment_id}/reviews", status_code=201)
async def review_commitment(cvr: str, commitment_id: UUID, body: s.ReviewCommitment,
                      ctx: CompanyCtx) -> CommandAnswer:
    """Record a review of a commitment with the company."""
    return await _on(cvr, body.by, ctx, body, lambda c, by, _: c.review_commitment(
        commitment_id=commitment_id, reviewed_on=body.reviewed_on, note=body.note, by=by,
        now=ctx.now(),
    ), commitment_id)
