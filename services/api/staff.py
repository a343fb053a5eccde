"""Routes for staff members: joining and leaving."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter

from services.api import schemas as s
from services.http.access import Scope, allow, require_municipality
from services.http.auth import Principal, Role
from services.http.commands import CommandAnswer
from services.http.deps import Ctx
from services.write import staff as use

router = APIRouter(prefix="/staff", tags=["staff"])
Admin = Annotated[Principal, allow(Role.ADMIN, scope=Scope.STAFF)]


@router.post("", status_code=201)
async def join_staff(
    body: s.JoinStaff, ctx: Ctx, who: Annotated[Principal, allow(Role.ADMIN)]
) -> CommandAnswer:
    """Register a staff member of a job centre, business unit or contracted provider."""
    require_municipality(who, body.municipality)
    ctx.who = who
    new_id = uuid4()
    return await ctx.run(
        lambda claim, version: use.join_staff(
            staff_id=new_id,
            name=body.name,
            municipality=body.municipality,
            unit=body.unit,
            role=body.role,
            claim=claim,
            expected_version=version,
        ),
        body,
    )


@router.post("/{staff_id}/moves", status_code=200)
async def move(staff_id: UUID, body: s.MoveStaff, ctx: Ctx, who: Admin) -> CommandAnswer:
    """Record that a staff member moved to another municipality, unit or role."""
    require_municipality(who, body.municipality)
    ctx.who = who
    return await ctx.run(
        lambda claim, version: use.move(
            staff_id=staff_id,
            municipality=body.municipality,
            unit=body.unit,
            role=body.role,
            moved_on=body.moved_on,
            now=ctx.now(),
            claim=claim,
            expected_version=version,
        ),
        body,
        200,
    )


@router.post("/{staff_id}/leave", status_code=200)
async def leave(staff_id: UUID, body: s.LeaveStaff, ctx: Ctx, who: Admin) -> CommandAnswer:
    """Record that a staff member left; their companies then need a new contact person."""
    ctx.who = who
    return await ctx.run(
        lambda claim, version: use.leave(
            staff_id=staff_id,
            left_on=body.left_on,
            reason=body.reason,
            now=ctx.now(),
            claim=claim,
            expected_version=version,
        ),
        body,
        200,
    )
