"""The effect statement page: a programme contract's effects, per company, in Danish."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from domain.errors import InvalidValue
from services.audit.effects import comparison_body, effects_body
from services.http.access import Scope, allow
from services.http.auth import Principal, Role
from services.http.deps import Svc
from services.http.limits import MAX_POSITION
from services.web.audit import milestone_names
from services.web.dashboard import bars
from services.web.render import page

router = APIRouter(prefix="/app", include_in_schema=False)


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidValue(f"{name} is not a date: {value!r}") from None


@router.get("/contracts/{contract_id}/effects")
async def effects(
    request: Request,
    contract_id: UUID,
    svc: Svc,
    who: Annotated[Principal, allow(Role.AUDITOR, Role.ADMIN, scope=Scope.CONTRACT)],
    from_: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    to: Annotated[str | None, Query(max_length=10)] = None,
    since: Annotated[int | None, Query(ge=0, le=MAX_POSITION)] = None,
) -> Response:
    """The statement of the log's end for a period (default: the contract's); with
    `since`, what changed since the statement at that earlier position."""
    period = (_day(from_, "from"), _day(to, "to"))
    body = await run_in_threadpool(
        lambda: effects_body(
            svc.app,
            svc.views,
            contract_id,
            period=period,
            today=svc.clock().date(),
            position=None,
            postgres=svc.settings.backend == "postgres",
            since=since,
        )
    )
    chart_bars = bars([(c["cvr"], c["durable_jobs"]) for c in body["companies"]])
    return page(
        request,
        "effects.html",
        who=who,
        s=body,
        chart_bars=chart_bars,
        baseline=any(c["baseline"] is not None for c in body["companies"]),
        milestone=milestone_names(request),
    )


@router.get("/effects")
async def comparison(
    request: Request,
    svc: Svc,
    who: Annotated[Principal, allow(Role.AUDITOR, Role.ADMIN)],
    from_: Annotated[str | None, Query(alias="from", max_length=10)] = None,
    to: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    """The programmes of the auditor's municipalities side by side, as a table and a
    bar chart of the cost per durable job (in whole kroner)."""
    period = (_day(from_, "from"), _day(to, "to"))
    body = await run_in_threadpool(
        lambda: comparison_body(
            svc.app,
            svc.views,
            who.may_see,
            period=period,
            today=svc.clock().date(),
            postgres=svc.settings.backend == "postgres",
        )
    )
    chart_bars = bars(
        [
            (f"{c['name']} ({c['municipality']})", (c["cost_per_durable_job_ore"] or 0) // 100)
            for c in body["contracts"]
        ]
    )
    return page(request, "comparison.html", who=who, c=body, chart_bars=chart_bars, period=period)
