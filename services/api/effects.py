"""The effect statement route: a programme contract's effects, computed from the log."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from services.api.schemas import Day
from services.audit.effects import comparison_body, effects_body, effects_csv
from services.http.access import Scope, allow
from services.http.auth import Principal, Role
from services.http.deps import Svc
from services.http.limits import MAX_POSITION

router = APIRouter(tags=["outcome contracts"])


@router.get(
    "/contracts/{contract_id}/effects",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
async def contract_effects(
    contract_id: UUID,
    services: Svc,
    who: Annotated[Principal, allow(Role.AUDITOR, Role.ADMIN, scope=Scope.CONTRACT)],
    from_: Annotated[Day | None, Query(alias="from", description="default: period_from")] = None,
    to: Annotated[Day | None, Query(description="default: period_to")] = None,
    position: Annotated[
        int | None,
        Query(ge=0, le=MAX_POSITION, description="replay at this sealed log position"),
    ] = None,
    as_of: Annotated[Day | None, Query(description="the statement's day (default today)")] = None,
    since: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_POSITION,
            description=(
                "also list what changed since the statement of the same period and day "
                "at this earlier sealed position (`changes`)"
            ),
        ),
    ] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """The effect statement (effektopgørelse) of a programme contract, from the log:
    per participating company its participation, placements started (internships
    apart), milestones reached, still employed at 13/26/52 weeks, hours and amount;
    the totals and the cost per durable job and per job started. Pinned to a sealed
    log position and its digest: the same `position` and `as_of` give the same
    figures later (auditor or admin). With `since`, `changes` gives each figure that
    moved since then as a line of its own (a fall is a credit line)."""
    body: dict[str, Any] = await run_in_threadpool(
        lambda: effects_body(
            services.app,
            services.views,
            contract_id,
            period=(from_, to),
            today=as_of or services.clock().date(),
            position=position,
            postgres=services.settings.backend == "postgres",
            since=since,
        )
    )
    if format == "csv":
        name = f"effektopgoerelse-{contract_id}-{body['position']}.csv"
        return Response(
            effects_csv(body),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return JSONResponse(body)


@router.get("/effects")
async def compare_effects(
    services: Svc,
    who: Annotated[Principal, allow(Role.AUDITOR, Role.ADMIN)],
    from_: Annotated[
        Day | None, Query(alias="from", description="default: each period_from")
    ] = None,
    to: Annotated[Day | None, Query(description="default: each period_to")] = None,
) -> dict[str, Any]:
    """Every programme contract of the token's municipalities side by side: jobs
    started, durable jobs, amount, cost per durable job and per job started, from the
    sealed log (auditor or admin)."""
    body: dict[str, Any] = await run_in_threadpool(
        lambda: comparison_body(
            services.app,
            services.views,
            who.may_see,
            period=(from_, to),
            today=services.clock().date(),
            postgres=services.settings.backend == "postgres",
        )
    )
    return body
