"""Routes for candidates: register (sealed), read personal data (logged), erase."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID, uuid4

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, StringConstraints, WithJsonSchema

from domain.candidate import Candidate, normalise_cpr
from domain.errors import CandidateErasedError
from infra.vault import Access, SealError, seal, unseal, utc_now
from services.api import schemas as s
from services.audit.holds import legal_holds
from services.http.access import STAFF, Scope, acting_staff, allow, require_municipality
from services.http.auth import Principal, Role
from services.http.commands import CommandAnswer
from services.http.container import Services
from services.http.deps import Ctx, Svc
from services.write import candidates as use

router = APIRouter(prefix="/candidates", tags=["candidates"])
Staff = Annotated[Principal, allow(*STAFF, scope=Scope.CANDIDATE)]
# The white space of Python's \s and of ECMAScript's (the document's) alike, and no NUL.
_NOT = r"[^@\s\x00\x1c-\x1f\x85\ufeff]"
_EMAIL = rf"^{_NOT}+@{_NOT}+\.{_NOT}+$"
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=_EMAIL),
]
Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ]{8,20}$"),
    # What is left after stripping must match: no space to begin or end with.
    WithJsonSchema({"type": "string", "pattern": r"^\+?[0-9][0-9 ]{6,18}[0-9]$"}),
]


class PersonalData(BaseModel):
    """What is sealed: never stored or sent anywhere in plain text."""

    name: s.Name
    cpr: Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=12),
        WithJsonSchema(
            {
                "type": "string",
                "format": "cpr",
                # Ten digits and at most 12 characters (no NUL); the first six a real day.
                "pattern": r"^[^0-9\x00]*([0-9][^0-9\x00]*){10}$",
                "maxLength": 12,
                "description": "A CPR number, DDMMYY-SSSS (separators allowed)",
                "examples": ["010190-1234"],
            }
        ),
    ]
    phone: Phone | None = None
    email: Email | None = None
    address: s.Short | None = None
    notes: Annotated[
        s.Text | None,
        Field(
            description=(
                "Notes about the person for the job match. Never health details: casebook does "
                "not store those."
            )
        ),
    ] = None


class RegisterCandidate(PersonalData, s.Body):
    municipality: s.MunicipalityCode
    by: s.By = None


class Clarify(s.Body):
    health_clarified_on: s.Day | None = None
    motivation_clarified_on: s.Day | None = None
    by: s.By = None


class Erase(s.Body):
    by: s.By = None


class CandidateView(BaseModel):
    id: UUID
    municipality: str
    erased: bool
    erased_on: date | None
    health_clarified_on: date | None
    motivation_clarified_on: date | None
    personal_data: PersonalData | None = Field(description="null once the candidate is erased")


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
    by = acting_staff(who, body.by)
    data = PersonalData.model_validate(body.model_dump(exclude={"municipality", "by"}))
    data.cpr = normalise_cpr(data.cpr)
    new_id = uuid4()
    vault = ctx.services.vault
    key = await run_in_threadpool(vault.new_key, new_id)
    sealed = seal(key, new_id, data.model_dump(mode="json"))
    try:
        answer = await ctx.run(
            lambda claim, version: use.register(
                candidate_id=new_id,
                municipality=body.municipality,
                sealed=sealed,
                by=by,
                claim=claim,
                expected_version=version,
            ),
            body,
        )
    except BaseException:
        await run_in_threadpool(vault.destroy, new_id)
        raise
    if answer.id != str(new_id):  # an Idempotency-Key replay: the first key is the one
        await run_in_threadpool(vault.destroy, new_id)
    return answer


@router.get("/{candidate_id}")
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
    candidate = _candidate(services, candidate_id)
    data = None
    if not candidate.erased:
        key = services.vault.key(candidate_id)
        if key is not None:
            services.vault.log_access(
                Access(utc_now(), who.subject, str(who.role), candidate_id, purpose)
            )
            try:
                data = PersonalData.model_validate(unseal(key, candidate_id, candidate.sealed))
            except SealError as error:
                raise CandidateErasedError(str(error)) from error
    return CandidateView(
        id=candidate_id,
        municipality=candidate.municipality,
        erased=candidate.erased,
        erased_on=candidate.erased_on,
        health_clarified_on=candidate.health_clarified_on,
        motivation_clarified_on=candidate.motivation_clarified_on,
        personal_data=data,
    )


@router.get("/{candidate_id}/access-log")
def access_log(
    candidate_id: UUID,
    services: Svc,
    who: Annotated[Principal, allow(Role.TEAM_LEAD, Role.AUDITOR, scope=Scope.CANDIDATE)],
) -> list[AccessEntry]:
    """Who opened this candidate's personal data, when, and why."""
    _candidate(services, candidate_id)
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
    by = acting_staff(who, body.by)
    services = ctx.services
    holds = await run_in_threadpool(_holds, services, candidate_id)
    try:
        answer = await ctx.run(
            lambda claim, version: use.erase(
                candidate_id,
                by=by,
                now=ctx.now(),
                legal_holds=holds,
                claim=claim,
                expected_version=version,
            ),
            body,
            200,
        )
    except CandidateErasedError:
        # Erased before: make sure the key is gone (a crash may have come in between).
        await run_in_threadpool(services.vault.destroy, candidate_id)
        raise
    await run_in_threadpool(services.vault.destroy, candidate_id)
    return answer


def _holds(services: Services, candidate_id: UUID) -> list[str]:
    municipality = use.candidate_municipality(services.app, candidate_id)
    return legal_holds(services.app, candidate_id, municipality)


def _candidate(services: Services, candidate_id: UUID) -> Candidate:
    found = services.app.find(candidate_id, Candidate)
    if found is None:
        raise use.unknown_candidate(candidate_id)
    return found
