"""Routes for staff members: joining and leaving."""

from __future__ import annotations

from uuid import UUID, uuid4

from fastapi import APIRouter

from infra.municipalities import municipalities
from services import commands
from services.api import schemas as s
from services.api.context import Ctx

router = APIRouter(prefix="/staff", tags=["staff"])


@router.post("", status_code=201)
async def join_staff(body: s.JoinStaff, ctx: Ctx) -> s.CommandAnswer:
    """Register a staff member of a job centre, business unit or contracted provider."""
    new_id = uuid4()
    return await ctx.run(lambda claim, version: commands.join_staff(
        staff_id=new_id, name=body.name, municipality=body.municipality, unit=body.unit,
        role=body.role, claim=claim, expected_version=version,
    ), body)


@router.post("/{staff_id}/moves", status_code=200)
async def move(staff_id: UUID, body: s.MoveStaff, ctx: Ctx) -> s.CommandAnswer:
    """Record that a staff member moved to another municipality, unit or role."""
    return await ctx.run(lambda claim, version: commands.staff_command(
        staff_id, lambda m: m.move(
            municipality=body.municipality, unit=body.unit, role=body.role,
            moved_on=body.moved_on, municipalities=municipalities(), now=ctx.now(),
        ), expected_version=version, claim=claim,
    ), body, 200)


@router.post("/{staff_id}/leave", status_code=200)
async def leave(staff_id: UUID, body: s.LeaveStaff, ctx: Ctx) -> s.CommandAnswer:
    """Record that a staff member left; their companies then need a new contact person."""
    return await ctx.run(lambda claim, version: commands.leave(
        staff_id, left_on=body.left_on, reason=body.reason, now=ctx.now(), claim=claim,
        expected_version=version,
    ), body, 200)
