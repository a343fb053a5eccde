"""Routes for candidates: register (sealed, CPR in the blind index), read personal data
(logged), look up by CPR number, erase (key and index entry gone)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from services.api import candidate_reads as reads
from services.api import schemas as s
from services.api.candidate_data import Cpr
from services.api.candidate_reads import CandidateView
from services.api.candidate_requests import Erase, RegisterCandidate, erase_for_good, register
from services.http.access import STAFF, Scope, acting_staff, allow, require_municipality
from services.http.auth import Principal, Role
from services.http.commands import CommandAnswer
from services.http.deps import Ctx, Svc
from services.write import candidates as use

router = APIRouter(prefix="/candidates", tags=["candidates"])
Staff = Annotated[Principal, allow(*STAFF, scope=Scope.CANDIDATE)]


class Clarify(s.Body):
    health_clarified_on: s.Day | None = None
    motivation_clarified_on: s.Day | None = None
    by: s.By = None


class AccessEntry(BaseModel):
    at: str
    subject: str
    role: str
    purpose: str


@router.post("", status_code=201)
async def register_candidate(
    body: RegisterCandidate, ctx: Ctx, who: Annotated[Principal, allow(*STAFF)]
) -> CommandAnswer:
    """Register a job seeker; their personal data is sealed under a key of their own."""
    require_municipality(who, body.municipality)
    ctx.who = who
    return await register(ctx, body, acting_staff(who, body.by))


class Lookup(s.Body):
    cpr: Cpr
    purpose: Annotated[
        str,
        Field(
            min_length=3,
            max_length=200,
            description="Why you look the person up; written to the access log",
        ),
    ] = reads.LOOKUP_PURPOSE


@router.post("/lookup")
def lookup(
    body: Lookup, services: Svc, who: Annotated[Principal, allow(*STAFF)]
) -> list[CandidateView]:
    """Find a candidate by CPR number (in the body, never in a URL) through the keyed
    blind index: those of the caller's municipalities, each read written to the access
    log; 404 when there is none."""
    return reads.lookup(services, who, body.cpr, body.purpose)


@router.get("/{candidate_id:uuid}")
def read_candidate(
    candidate_id: UUID,
    services: Svc,
    who: Staff,
    purpose: Annotated[
        str,
        Query(
            min_length=3,
            max_length=200,
            description=("Why you open the personal data; written to the access log"),
        ),
    ],
) -> CandidateView:
    """The candidate, with their personal data; each read is written to the access log."""
    return reads.view_of(services, who, candidate_id, purpose)


@router.get("/{candidate_id}/access-log")
def access_log(
    candidate_id: UUID,
    services: Svc,
    who: Annotated[Principal, allow(Role.TEAM_LEAD, Role.AUDITOR, scope=Scope.CANDIDATE)],
) -> list[AccessEntry]:
    """Who opened this candidate's personal data, when, and why."""
    reads.candidate_of(services, candidate_id)
    return [
        AccessEntry(at=a.at.isoformat(), subject=a.subject, role=a.role, purpose=a.purpose)
        for a in services.vault.accesses(candidate_id)
    ]


@router.post("/{candidate_id}/clarifications", status_code=200)
async def clarify(candidate_id: UUID, body: Clarify, ctx: Ctx, who: Staff) -> CommandAnswer:
    """Record that health and/or motivation were clarified: dates only, never details."""
    ctx.who = who
    by = acting_staff(who, body.by)
    return await ctx.run(
        lambda claim, version: use.clarify(
            candidate_id,
            health_clarified_on=body.health_clarified_on,
            motivation_clarified_on=body.motivation_clarified_on,
            by=by,
            now=ctx.now(),
            claim=claim,
            expected_version=version,
        ),
        body,
        200,
    )


@router.post("/{candidate_id}/erase", status_code=200)
async def erase(
    candidate_id: UUID,
    body: Erase,
    ctx: Ctx,
    who: Annotated[Principal, allow(Role.TEAM_LEAD, scope=Scope.CANDIDATE)],
) -> CommandAnswer:
    """Erase the candidate: destroy their key and record it; the history stays replayable.

    Refused (409) while an open invoice dispute depends on the candidate.
    """
    ctx.who = who
    return await erase_for_good(ctx, candidate_id, body, acting_staff(who, body.by))
