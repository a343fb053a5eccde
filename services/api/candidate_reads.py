"""Reading candidates' personal data, each read written to the access log: one by id
with a purpose, by CPR number through the blind index, and by name among a staff
member's own candidates. Shared by the API's routes and the web app's pages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

import structlog
from pydantic import BaseModel, Field

from domain.candidate import Candidate, normalise_cpr
from domain.errors import CandidateErasedError, CandidateNotFoundError
from infra.vault import Access, SealError, unseal, utc_now
from projections.candidates import worked_with
from projections.directory import fold
from services.api.candidate_data import PersonalData
from services.http.auth import Principal
from services.http.container import Services
from services.http.reading import projections_at
from services.write import candidates as use

log = structlog.get_logger(__name__)
LOOKUP_PURPOSE = "opslag på CPR-nummer"
NAME_PURPOSE = "søgning på navn"


class CandidateView(BaseModel):
    id: UUID
    municipality: str
    erased: bool
    erased_on: date | None
    health_clarified_on: date | None
    motivation_clarified_on: date | None
    personal_data: PersonalData | None = Field(description="null once the candidate is erased")


def candidate_of(services: Services, candidate_id: UUID) -> Candidate:
    """The candidate; CandidateNotFoundError if there is none."""
    found = services.app.find(candidate_id, Candidate)
    if found is None:
        raise use.unknown_candidate(candidate_id)
    return found


def personal_data(
    services: Services, who: Principal, candidate: Candidate, purpose: str
) -> PersonalData | None:
    """The candidate's personal data (None once erased); the read is logged."""
    if candidate.erased:
        return None
    key = services.vault.key(candidate.id)
    if key is None:
        return None
    services.vault.log_access(Access(utc_now(), who.subject, str(who.role), candidate.id, purpose))
    try:
        return PersonalData.model_validate(unseal(key, candidate.id, candidate.sealed))
    except SealError as error:
        raise CandidateErasedError(str(error)) from error


def view_of(services: Services, who: Principal, candidate_id: UUID, purpose: str) -> CandidateView:
    """The candidate with their personal data, read for this purpose (logged)."""
    candidate = candidate_of(services, candidate_id)
    return CandidateView(
        id=candidate_id,
        municipality=candidate.municipality,
        erased=candidate.erased,
        erased_on=candidate.erased_on,
        health_clarified_on=candidate.health_clarified_on,
        motivation_clarified_on=candidate.motivation_clarified_on,
        personal_data=personal_data(services, who, candidate, purpose),
    )


def ids_by_cpr(
    services: Services, who: Principal, cpr: str, among: Iterable[str] = ()
) -> list[UUID]:
    """The candidates under this CPR number in the caller's municipalities (narrowed to
    `among` if given); InvalidCprError for a malformed number."""
    codes = set(among) or set(who.municipalities)
    return [
        cid
        for cid, municipality in services.vault.find_cpr(normalise_cpr(cpr))
        if who.may_see(municipality) and municipality in codes
    ]


def lookup(
    services: Services, who: Principal, cpr: str, purpose: str = LOOKUP_PURPOSE
) -> list[CandidateView]:
    """The candidates with this CPR number that the caller may see, each read logged;
    CandidateNotFoundError when there is none."""
    found = [view_of(services, who, cid, purpose) for cid in ids_by_cpr(services, who, cpr)]
    found = [v for v in found if not v.erased]
    if not found:
        raise CandidateNotFoundError(
            "none of the candidates in your municipalities has this CPR number"
        )
    return found


def folded(text: str) -> str:
    """Text for matching names: case and accents folded, and æ/ø/å in any spelling
    (Æblegård, aeblegard, ablegaard) to the directory's skeleton ("ablegard")."""
    return " ".join(fold(text)[2].split())


def my_candidates(
    services: Services, who: Principal, among: Iterable[str] = ()
) -> list[tuple[UUID, str]]:
    """The (id, municipality) of the candidates the caller registered, referred or placed,
    in their municipalities (narrowed to `among` if given), the most recent first."""
    if who.staff_id is None:
        return []
    codes = set(among) & set(who.municipalities) if among else set(who.municipalities)
    at = projections_at(services)
    rows = at.query(worked_with(at.prefix("candidates"), str(who.staff_id), codes))
    return [(UUID(str(r[0])), str(r[1])) for r in rows]


def _opened(
    services: Services, who: Principal, ids: Iterable[UUID]
) -> tuple[list[Candidate], dict[UUID, dict[str, Any]]]:
    """Of these candidates, those that exist in the caller's municipalities, and the
    personal data of those not erased (their keys fetched in one query); nothing is
    logged yet. One whose data does not open is left out of the data (and logged as an
    error, without its data), never shown as erased."""
    found = []
    for cid in dict.fromkeys(ids):
        candidate = services.app.find(cid, Candidate)
        if candidate is not None and who.may_see(candidate.municipality):
            found.append(candidate)
    try:
        keys = services.vault.keys(c.id for c in found if not c.erased)
    except SealError as error:
        log.error("candidate_keys_unopened", reason=str(error))
        keys = {}
    opened = {}
    for c in found:
        if c.id in keys:
            try:
                opened[c.id] = unseal(keys[c.id], c.id, c.sealed)
            except SealError as error:
                log.error("candidate_unopened", candidate_id=str(c.id), reason=str(error))
    return found, opened


def _log(services: Services, who: Principal, ids: Iterable[UUID], purpose: str) -> None:
    at = utc_now()
    services.vault.log_accesses(
        [Access(at, who.subject, str(who.role), cid, purpose) for cid in ids]
    )


def names_of(
    services: Services, who: Principal, ids: Iterable[UUID], purpose: str
) -> dict[UUID, str | None]:
    """The names of these candidates of the caller's municipalities, None for an erased
    one (others are left out); the reads are logged in one write, and the keys fetched in
    one query."""
    found, opened = _opened(services, who, ids)
    _log(services, who, opened, purpose)
    named: dict[UUID, str | None] = {cid: str(data["name"]) for cid, data in opened.items()}
    return {**named, **dict.fromkeys(c.id for c in found if c.erased)}


def by_name(
    services: Services, who: Principal, query: str, among: Iterable[str] = ()
) -> list[tuple[UUID, str]]:
    """The caller's own candidates (in their municipalities, narrowed to `among` if
    given) whose name holds every word of the query (folded); only the hits' reads are
    logged."""
    words = folded(query).split()
    if not words:
        return []
    mine = (cid for cid, _ in my_candidates(services, who, among))
    _, opened = _opened(services, who, mine)
    hits = [
        (cid, str(data["name"]))
        for cid, data in opened.items()
        if all(w in folded(str(data["name"])) for w in words)
    ]
    _log(services, who, (cid for cid, _ in hits), NAME_PURPOSE)
    return sorted(hits, key=lambda hit: folded(hit[1]))


def pick_by_cpr(
    services: Services, who: Principal, cpr: str, municipality: str, purpose: str
) -> UUID | None:
    """The (first) candidate of this municipality with this CPR number, the lookup
    logged; None if there is none. InvalidCprError for a malformed number."""
    for cid in ids_by_cpr(services, who, cpr, [municipality]):
        candidate = services.app.find(cid, Candidate)
        if candidate is not None and not candidate.erased:
            services.vault.log_access(Access(utc_now(), who.subject, str(who.role), cid, purpose))
            return cid
    return None
