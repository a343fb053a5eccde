"""Routes of a programme contract's participating companies (admin)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from domain.contract import OutcomeContract
from domain.errors import ContractNotFoundError
from services.api import schemas as s
from services.eventstore import CasebookApplication
from services.http.access import Scope, acting_id, allow
from services.http.auth import Principal, Role
from services.http.commands import CommandAnswer
from services.http.deps import Ctx
from services.write import programmes

router = APIRouter(tags=["outcome contracts"])


def _programme(app: CasebookApplication, contract_id: UUID) -> programmes.Programme:
    contract = app.find(contract_id, OutcomeContract)
    if contract is None:
        raise ContractNotFoundError(f"no outcome contract {contract_id} was recorded")
    return programmes.programme_of(contract)


@router.post("/contracts/{contract_id}/participants", status_code=201)
async def join_programme(
    contract_id: UUID,
    body: s.JoinProgramme,
    ctx: Ctx,
    who: Annotated[Principal, allow(Role.ADMIN, scope=Scope.CONTRACT)],
) -> CommandAnswer:
    """A company of the contract's municipality takes part in its programme from `from`
    (a business date within the contract's period); one programme at a time. The event
    is in the company's own history (admin)."""
    ctx.who, by = who, acting_id(who, body.by)
    programme = await run_in_threadpool(_programme, ctx.services.app, contract_id)
    return await ctx.run(
        lambda claim, version: programmes.join_programme(
            programme=programme,
            cvr=body.cvr,
            joined_on=body.joined_on,
            by=by,
            claim=claim,
            expected_version=version,
        ),
        body,
    )


@router.post("/contracts/{contract_id}/participants/{cvr}/end", status_code=200)
async def leave_programme(
    contract_id: UUID,
    cvr: str,
    body: s.LeaveProgramme,
    ctx: Ctx,
    who: Annotated[Principal, allow(Role.ADMIN, scope=Scope.CONTRACT)],
) -> CommandAnswer:
    """`on` is the company's last day in the programme; placements it started until
    then count for the contract's measurement period after it (admin)."""
    ctx.who, by = who, acting_id(who, body.by)
    programme = await run_in_threadpool(_programme, ctx.services.app, contract_id)
    return await ctx.run(
        lambda claim, version: programmes.leave_programme(
            programme=programme,
            cvr=cvr,
            left_on=body.on,
            by=by,
            claim=claim,
            expected_version=version,
        ),
        body,
        200,
    )
