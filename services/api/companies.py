"""Routes that record work with a company: every change is one event on its stream."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends

from services.api import company_requests as make
from services.api import schemas as s
from services.api.company_requests import On
from services.http.access import STAFF, Scope, acting_staff, allow, require_municipality
from services.http.auth import Principal, Role
from services.http.commands import CommandAnswer, CommandContext
from services.http.deps import Ctx
from services.write import companies as use

router = APIRouter(prefix="/companies", tags=["companies"])


async def _company_command(
    ctx: Ctx,
    who: Annotated[Principal, allow(*STAFF, scope=Scope.COMPANY)],
) -> CommandContext:
    ctx.who = who
    return ctx


CompanyCtx = Annotated[CommandContext, Depends(_company_command)]
"""A command on the company named by {cvr}, by staff of its municipality."""


def _on(ctx: CommandContext, cvr: str, by: UUID | None, item_id: UUID | None = None) -> On:
    """The request's company, the staff member it is recorded for (the token's own), the
    clock, and the id it names or creates."""
    assert ctx.who is not None
    on = On(cvr, acting_staff(ctx.who, by), ctx.now(), ctx.who.role is Role.TEAM_LEAD)
    return on if item_id is None else replace(on, item_id=item_id)


@router.post("", status_code=201)
async def register_company(
    body: s.RegisterCompany,
    ctx: Ctx,
    who: Annotated[Principal, allow(*STAFF)],
) -> CommandAnswer:
    """Register a company by its CVR number (spaces, hyphens and a DK prefix are fine)."""
    require_municipality(who, body.municipality)
    ctx.who = who
    by = acting_staff(who, body.by)
    return await ctx.run(
        lambda claim, version: use.register_company(
            cvr=body.cvr,
            name=body.name,
            municipality=body.municipality,
            industry=body.industry,
            by=by,
            claim=claim,
            expected_version=version,
        ),
        body,
    )


@router.post("/{cvr}/details", status_code=200)
async def change_details(cvr: str, body: s.ChangeDetails, ctx: CompanyCtx) -> CommandAnswer:
    """Correct the company's name or industry."""
    return await ctx.run(make.change_details(body, _on(ctx, cvr, body.by)), body, 200)


@router.post("/{cvr}/contact-person", status_code=200)
async def assign_contact_person(
    cvr: str, body: s.AssignContactPerson, ctx: CompanyCtx
) -> CommandAnswer:
    """Make a staff member the company's one contact person, or hand the role over."""
    return await ctx.run(make.assign_contact_person(body, _on(ctx, cvr, body.by)), body, 200)


@router.post("/{cvr}/contacts", status_code=201)
async def log_contact(cvr: str, body: s.LogContact, ctx: CompanyCtx) -> CommandAnswer:
    """Log a contact with the company (it may be logged late, never ahead of time)."""
    return await ctx.run(make.log_contact(body, _on(ctx, cvr, body.by)), body)


@router.post("/{cvr}/contacts/{contact_id}/corrections", status_code=201)
async def correct_contact(
    cvr: str, contact_id: UUID, body: s.CorrectContact, ctx: CompanyCtx
) -> CommandAnswer:
    """Correct a logged contact; the original stays in the history."""
    return await ctx.run(make.correct_contact(body, _on(ctx, cvr, body.by, contact_id)), body)


@router.put("/{cvr}/contact-preference", status_code=200)
async def set_contact_preference(
    cvr: str, body: s.SetContactPreference, ctx: CompanyCtx
) -> CommandAnswer:
    """Record the company's own cap on contacts per month and preferred channel."""
    return await ctx.run(make.set_contact_preference(body, _on(ctx, cvr, body.by)), body, 200)


@router.post("/{cvr}/openings", status_code=201)
async def register_opening(cvr: str, body: s.RegisterOpening, ctx: CompanyCtx) -> CommandAnswer:
    """Register a job or a carved-out set of tasks the company could fill."""
    return await ctx.run(make.register_opening(body, _on(ctx, cvr, body.by)), body)


@router.post("/{cvr}/openings/{opening_id}/close", status_code=200)
async def close_opening(
    cvr: str, opening_id: UUID, body: s.CloseOpening, ctx: CompanyCtx
) -> CommandAnswer:
    """Close an opening to further referrals."""
    return await ctx.run(make.close_opening(body, _on(ctx, cvr, body.by, opening_id)), body, 200)


@router.post("/{cvr}/referrals", status_code=201)
async def refer_candidate(cvr: str, body: s.ReferCandidate, ctx: CompanyCtx) -> CommandAnswer:
    """Refer a candidate to an open opening (health and motivation: clarified or not)."""
    return await ctx.run(make.refer_candidate(body, _on(ctx, cvr, body.by)), body)


@router.post("/{cvr}/referrals/{referral_id}/answer", status_code=200)
async def answer_referral(
    cvr: str, referral_id: UUID, body: s.AnswerReferral, ctx: CompanyCtx
) -> CommandAnswer:
    """Record how a referral was answered."""
    return await ctx.run(make.answer_referral(body, _on(ctx, cvr, body.by, referral_id)), body, 200)


@router.post("/{cvr}/placements", status_code=201)
async def start_placement(cvr: str, body: s.StartPlacement, ctx: CompanyCtx) -> CommandAnswer:
    """Start a placement (ordinary, flex job, wage subsidy or internship)."""
    return await ctx.run(make.start_placement(body, _on(ctx, cvr, body.by)), body)


@router.post("/{cvr}/placements/{placement_id}/changes", status_code=201)
async def change_placement(
    cvr: str, placement_id: UUID, body: s.ChangePlacement, ctx: CompanyCtx
) -> CommandAnswer:
    """Change a placement's kind or hours from a date."""
    return await ctx.run(make.change_placement(body, _on(ctx, cvr, body.by, placement_id)), body)


@router.post("/{cvr}/placements/{placement_id}/end", status_code=200)
async def end_placement(
    cvr: str, placement_id: UUID, body: s.EndPlacement, ctx: CompanyCtx
) -> CommandAnswer:
    """Record that a placement ended."""
    return await ctx.run(make.end_placement(body, _on(ctx, cvr, body.by, placement_id)), body, 200)


@router.post("/{cvr}/follow-ups", status_code=201)
async def schedule_follow_up(cvr: str, body: s.ScheduleFollowUp, ctx: CompanyCtx) -> CommandAnswer:
    """Schedule a follow-up on a running placement."""
    return await ctx.run(make.schedule_follow_up(body, _on(ctx, cvr, body.by)), body)


@router.post("/{cvr}/follow-ups/{follow_up_id}/complete", status_code=200)
async def complete_follow_up(
    cvr: str, follow_up_id: UUID, body: s.CompleteFollowUp, ctx: CompanyCtx
) -> CommandAnswer:
    """Record that a follow-up was held: on track or at risk."""
    return await ctx.run(
        make.complete_follow_up(body, _on(ctx, cvr, body.by, follow_up_id)), body, 200
    )


@router.post("/{cvr}/commitments", status_code=201)
async def agree_commitment(cvr: str, body: s.AgreeCommitment, ctx: CompanyCtx) -> CommandAnswer:
    """Agree a concrete target with the company (hires by a date, preparation)."""
    return await ctx.run(make.agree_commitment(body, _on(ctx, cvr, body.by)), body)


@router.post("/{cvr}/commitments/{commitment_id}/reviews", status_code=201)
async def review_commitment(
    cvr: str, commitment_id: UUID, body: s.ReviewCommitment, ctx: CompanyCtx
) -> CommandAnswer:
    """Record a review of a commitment with the company."""
    return await ctx.run(make.review_commitment(body, _on(ctx, cvr, body.by, commitment_id)), body)
