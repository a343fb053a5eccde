"""The event log over HTTP, for consumers that cannot reach NATS (auditors' exports)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from services.feed.logged import read_logged
from services.feed.messages import to_message
from services.feed.origins import Origins
from services.http.access import allow
from services.http.auth import Principal, Role
from services.http.container import Services
from services.http.deps import get_services
from services.http.limits import MAX_POSITION

router = APIRouter(tags=["events"])
BATCH_JSON = "application/cloudevents-batch+json"


@router.get("/events", response_class=Response, responses={200: {"content": {BATCH_JSON: {}}}})
def events(
    request: Request,
    services: Annotated[Services, Depends(get_services)],
    who: Annotated[Principal, allow(Role.SERVICE, Role.AUDITOR)],
    after: Annotated[
        int, Query(ge=0, le=MAX_POSITION, description="Log position to start after.")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="Most events to return.")] = 100,
) -> Response:
    """Events after log position `after`, oldest first, as a JSON batch of CloudEvents.

    The attributes are those of the NATS messages (`sequence` is the log position);
    follow with `after` = the last `sequence`, or the `Link: rel="next"` header.
    A `service` token reads every event; an auditor's only those of the token's
    municipalities (a page may then hold fewer than `limit`; follow the Link).
    """
    app = services.app
    origins = Origins(app)  # this request's own: it is shown events in log order
    prefix = services.settings.nats_subject_prefix
    batch = []
    last = after
    for n in app.log_page(after, limit):
        event = read_logged(app.mapper, n, n.id)
        origin = origins.of(event)
        last = n.id
        if who.role is Role.AUDITOR and not who.may_see(origin.municipality):
            continue
        batch.append(to_message(event, origin, prefix).structured())
    next_url = request.url.include_query_params(after=last, limit=limit)
    return Response(
        json.dumps(batch, ensure_ascii=False),
        media_type=BATCH_JSON,
        headers={"Link": f'<{next_url}>; rel="next"'},
    )
