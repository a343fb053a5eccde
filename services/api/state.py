"""GET /companies/{cvr}/state: the company as known at a time, about a date."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from domain.errors import CompanyNotFoundError
from domain.values import company_id, normalise_cvr
from services.api.schemas import Day, Moment
from services.http.access import READERS, Scope, allow
from services.http.auth import Principal
from services.http.deps import Svc

router = APIRouter(tags=["reads"])


class State(BaseModel):
    known_at: str
    as_of: str
    version: int
    cvr: str
    name: str
    municipality: str
    contact_person: str | None
    contacts: int
    last_contact_on: str | None
    openings: dict[str, dict[str, Any]]
    referrals: dict[str, dict[str, Any]]
    placements: dict[str, dict[str, Any]]
    follow_ups: dict[str, dict[str, Any]]


@router.get("/companies/{cvr}/state")
def state(
    cvr: str,
    services: Svc,
    who: Annotated[Principal, allow(*READERS, scope=Scope.COMPANY)],
    known_at: Annotated[
        Moment | None,
        Query(description="recording time: only what had been recorded by then (default now)"),
    ] = None,
    as_of: Annotated[
        Day | None,
        Query(description="business date: only facts dated on or before it (default today)"),
    ] = None,
) -> State:
    """The company's state from its events: as known at `known_at`, about `as_of`."""
    cvr = normalise_cvr(cvr)
    now = services.clock()
    known: datetime = known_at or now
    day = as_of or now.date()
    folded = services.snapshots.history(company_id(cvr), known).at(day)
    if folded.version == 0:
        raise CompanyNotFoundError(
            f"no company with CVR {cvr} was registered by {known.isoformat()}"
        )
    return State(known_at=known.isoformat(), as_of=day.isoformat(), **dataclasses.asdict(folded))
