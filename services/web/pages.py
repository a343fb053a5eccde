"""Search, "My work" and the team lead's page."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from services.http.access import READERS, allow, visible_municipalities
from services.http.auth import Principal, Role
from services.http.deps import Svc
from services.http.reading import All, projections_at, reading
from services.read.projections_at import ProjectionsAt
from services.read.queries.notices import unread_notices
from services.read.queries.people import current_staff
from services.read.queries.search import search_companies
from services.read.queries.worklists import caseload, follow_ups_due, handover_queue
from services.web.render import page, partial

router = APIRouter(prefix="/app", include_in_schema=False)
DUE_DAYS = 14  # "My work" shows the follow-ups due within this many days


@router.get("")
def search(
    request: Request,
    svc: Svc,
    who: Annotated[Principal, allow(*READERS)],
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """Find a company by CVR or name (the page's script searches as you type)."""
    hits = search_companies(projections_at(svc), q, visible_municipalities(who, None), 50)
    if partial(request) == "results":
        return page(request, "_results.html", who=who, hits=hits)
    return page(request, "search.html", who=who, q=q, hits=hits)


@router.get("/my-work")
def my_work(
    request: Request,
    who: Annotated[Principal, allow(*READERS)],
    at: Annotated[ProjectionsAt, Depends(reading(*All))],
) -> Response:
    """What others did at my companies, my companies and my follow-ups due, overdue
    first."""
    mine = news = None
    due = []
    if who.staff_id is not None:
        news = unread_notices(at, who.staff_id)
        mine = caseload(at, who.staff_id)
        due = [
            f
            for p in follow_ups_due(
                at, visible_municipalities(who, None), DUE_DAYS, str(who.staff_id)
            )
            for f in p.follow_ups
        ]
    return page(request, "work.html", who=who, mine=mine, due=due, news=news)


@router.get("/team")
def team(
    request: Request,
    who: Annotated[Principal, allow(Role.TEAM_LEAD, Role.AUDITOR)],
    at: Annotated[ProjectionsAt, Depends(reading(*All))],
) -> Response:
    """The handover queue and every colleague's caseload, with reassignment."""
    queue = handover_queue(at, visible_municipalities(who, None))
    staff = current_staff(at, sorted(who.municipalities))
    loads = [caseload(at, UUID(s.id)) for s in staff]
    return page(
        request,
        "team.html",
        who=who,
        queue=queue,
        loads=loads,
        staff=[(s.id, s.name, s.municipality) for s in staff],
        can_write=who.role is Role.TEAM_LEAD,
        key=uuid4().hex,
        saved=request.query_params.get("saved"),
    )
