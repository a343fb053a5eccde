"""GET /companies/{cvr}: the one-contact-person view of a company."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from services.http.access import READERS, Scope, allow
from services.http.auth import Principal
from services.http.limits import MAX_POSITION
from services.http.reading import reading
from services.read.projections_at import ProjectionsAt
from services.read.queries import overview as overviews
from services.read.queries.overview import (
    ITEMS,
    OVERVIEW_VIEWS,
    ListName,
    Overview,
    OverviewList,
    OverviewRead,
)

router = APIRouter(tags=["reads"])
Overviews = Annotated[ProjectionsAt, Depends(reading(*OVERVIEW_VIEWS))]
Reader = Annotated[Principal, allow(*READERS, scope=Scope.COMPANY)]


@router.get("/companies/{cvr}", response_model=Overview)
async def overview(
    cvr: str,
    who: Reader,
    at: Overviews,
    items: Annotated[
        int,
        Query(
            ge=1,
            le=200,
            description=(
                "Entries shown per list; `totals` counts them all, and "
                "/companies/{cvr}/overview/{list} pages through the rest"
            ),
        ),
    ] = ITEMS,
) -> Response:
    """The company's contact person and their predecessors, last contact, coordination,
    openings, referrals, placements, follow-ups and commitments (the first `items` of
    each list, with totals)."""
    # Read on the event loop (on PostgreSQL no hop to a worker thread and back); the
    # model is built right, so FastAPI's validation of it again is skipped (same JSON,
    # same schema). The views and the clock come with `at`: a dependency fewer to solve.
    read = OverviewRead(at, cvr, items)
    rows = await at.read_async(OVERVIEW_VIEWS, read.statements)
    return Response(read.overview(rows).model_dump_json(), media_type="application/json")


@router.get("/companies/{cvr}/overview/{list_name}")
def overview_list(
    cvr: str,
    list_name: ListName,
    who: Reader,
    at: Overviews,
    offset: Annotated[int, Query(ge=0, le=MAX_POSITION)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> OverviewList:
    """One list of the overview in full, a page at a time, in the overview's order."""
    return overviews.overview_list(at, cvr, list_name, offset, limit)
