"""Read routes over the projections: company search and the company timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.api.schemas import Day
from services.http.access import READERS, Scope, allow, visible_municipalities
from services.http.auth import Principal
from services.http.limits import MAX_POSITION
from services.http.reading import reading
from services.read.projections_at import ProjectionsAt
from services.read.queries import search
from services.read.queries.search import CompanyHit
from services.read.queries.timeline import (
    TIMELINE_VIEWS,
    TimelineFilters,
    TimelinePage,
    timeline_page_async,
)

router = APIRouter(tags=["reads"])


@router.get("/companies")
def search_companies(
    who: Annotated[Principal, allow(*READERS)],
    at: Annotated[ProjectionsAt, Depends(reading("directory"))],
    q: Annotated[str, Query(max_length=100, description="CVR or part of the name")] = "",
    municipality: Annotated[str | None, Query(pattern=r"^\d{3}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[CompanyHit]:
    """Find companies by CVR or any part of their name (case- and accent-insensitive)."""
    return search.search_companies(at, q, visible_municipalities(who, municipality), limit)


@router.get("/companies/{cvr}/timeline", response_model=TimelinePage)
async def timeline(
    cvr: str,
    who: Annotated[Principal, allow(*READERS, scope=Scope.COMPANY)],
    at: Annotated[ProjectionsAt, Depends(reading(*TIMELINE_VIEWS))],
    kind: Annotated[str | None, Query(max_length=60, description="e.g. contact_logged")] = None,
    actor: Annotated[str | None, Query(max_length=40, description="staff id")] = None,
    from_: Annotated[Day | None, Query(alias="from")] = None,
    to: Annotated[Day | None, Query()] = None,
    cursor: Annotated[
        int | None, Query(ge=1, le=MAX_POSITION, description="next_cursor of a page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    """Every event of the company, newest first; names stay even after people leave."""
    # Read on the event loop (on PostgreSQL no hop to a worker thread and back); the
    # page is built right, so FastAPI's validation of it again is skipped (same JSON,
    # same schema). The views and the clock come with `at`: a dependency fewer to solve.
    page = await timeline_page_async(
        at,
        cvr,
        TimelineFilters(kind=kind, actor=actor, from_=from_, to=to, cursor=cursor, limit=limit),
    )
    return Response(page.model_dump_json(), media_type="application/json")
