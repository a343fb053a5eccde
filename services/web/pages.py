"""Search, "My work" and the team lead's page."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from services.api.queues import caseload, follow_ups_due, handover_queue
from services.api.reads import search_companies
from services.http.access import READERS, allow
from services.http.auth import Principal, Role
from services.http.deps import Svc
from services.http.reading import All, ViewsAt, reading
from services.web.render import page, partial

router = APIRouter(prefix="/app", include_in_schema=False)


@router.get("")
def search(request: Request, svc: Svc, who: Annotated[Principal, allow(*READERS)],
           q: Annotated[str, Query(max_length=100)] = "") -> Response:
    """Find a company by CVR or name (the page's script searches as you type)."""
    hits = search_companies(svc, who, ViewsAt(svc, None), q=q, municipality=None, limit=50)
    if partial(request) == "results":
        return page(request, "_results.html", who=who, hits=hits)
    return page(request, "search.html", who=who, q=q,
                hits=hits)


@router.get("/my-work")
def my_work(request: Request, svc: Svc, who: Annotated[Principal, allow(*READERS)],
            at: Annotated[ViewsAt, Depends(reading(*All))]) -> Response:
    """My companies and my follow-ups due, overdue first."""
    mine = None
    due = []
    if who.staff_id is not None:
        mine = caseload(who.staff_id, svc, who, at)
        due = [f for p in follow_ups_due(svc, who, at, municipality=None, days=14)
               if p.person is not None and p.person.id == str(who.staff_id)
               for f in p.follow_ups]
    return page(request, "work.html", who=who, mine=mine,
                due=due)


@router.get("/team")
def team(request: Request, svc: Svc,
         who: Annotated[Principal, allow(Role.TEAM_LEAD, Role.AUDITOR)],
         at: Annotated[ViewsAt, Depends(reading(*All))]) -> Response:
    """The handover queue and every colleague's caseload, with reassignment."""
    queue = handover_queue(svc, who, at, municipality=None)
    d = at.prefix("directory")
    codes = sorted(who.municipalities)
    staff = svc.views.query(
        f"SELECT staff_id, name, municipality FROM {d}staff WHERE left_on IS NULL AND "
        f"municipality IN ({', '.join(['%s'] * len(codes)) or 'NULL'}) ORDER BY name",
        codes) if codes else []
    loads = [caseload(UUID(r[0]), svc, who, at) for r in staff]
    return page(request, "team.html", who=who, queue=queue,
                loads=loads, staff=[(r[0], r[1], r[2]) for r in staff],
                can_write=who.role is Role.TEAM_LEAD, key=uuid4().hex,
                saved=request.query_params.get("saved"))


