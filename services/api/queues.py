"""Work lists for consultants and team leads: caseloads, the handover queue, follow-ups."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from services.http.access import (
    READERS,
    Scope,
    allow,
    require_self_or,
    visible_municipalities,
)
from services.http.auth import Principal, Role
from services.http.reading import reading
from services.read.projections_at import ProjectionsAt
from services.read.queries import worklists
from services.read.queries.notices import NOTICE_VIEWS, SHOWN, Notices, unread_notices
from services.read.queries.worklists import (
    WORKLIST_VIEWS,
    Caseload,
    Orphan,
    PersonsFollowUps,
)

router = APIRouter(tags=["reads"])
Municipality = Annotated[str | None, Query(pattern=r"^\d{3}$")]
Both = Annotated[ProjectionsAt, Depends(reading(*WORKLIST_VIEWS))]


@router.get("/staff/{staff_id}/caseload")
def caseload(
    staff_id: UUID, who: Annotated[Principal, allow(*READERS, scope=Scope.STAFF)], at: Both
) -> Caseload:
    """The companies this person is the contact person of, with their open work."""
    require_self_or(who, staff_id, Role.TEAM_LEAD, Role.AUDITOR)
    return worklists.caseload(at, staff_id)


@router.get("/staff/{staff_id}/notices")
def notices(
    staff_id: UUID,
    who: Annotated[Principal, allow(*READERS, scope=Scope.STAFF)],
    at: Annotated[ProjectionsAt, Depends(reading(*NOTICE_VIEWS))],
    limit: Annotated[int, Query(ge=1, le=200)] = SHOWN,
) -> Notices:
    """What others logged at this person's companies (contacts, referrals, placements)
    while they were its contact person, and they have not yet seen, newest first."""
    require_self_or(who, staff_id, Role.TEAM_LEAD, Role.AUDITOR)
    return unread_notices(at, staff_id, limit)


@router.get("/handover-queue")
def handover_queue(
    who: Annotated[Principal, allow(Role.TEAM_LEAD, Role.AUDITOR)],
    at: Both,
    municipality: Municipality = None,
) -> list[Orphan]:
    """Companies whose contact person has left, longest waiting first, with open work."""
    return worklists.handover_queue(at, visible_municipalities(who, municipality))


@router.get("/follow-ups/due")
def follow_ups_due(
    who: Annotated[Principal, allow(*READERS)],
    at: Both,
    municipality: Municipality = None,
    days: Annotated[int, Query(ge=0, le=365, description="due within this many days")] = 14,
) -> list[PersonsFollowUps]:
    """Follow-ups not yet held and due soon, per contact person, overdue first."""
    mine = who.subject if who.role is Role.CONSULTANT else None  # a consultant's own only
    return worklists.follow_ups_due(at, visible_municipalities(who, municipality), days, mine)
