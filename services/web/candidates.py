"""The candidate pages: find one (by CPR number or by name, posted: neither ever in a
URL), register one, open one with a stated purpose (written to the access log), and,
for team leads, the access log and erasure. Each runs what the API runs
(services/api/candidates.py, candidate_reads.py) under the same rules."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from domain.errors import CandidateOnLegalHoldError, DomainError, InvalidCprError
from services.api import candidate_reads as reads
from services.api.candidate_requests import Erase, RegisterCandidate, erase_for_good, register
from services.errors import ServiceError
from services.http.access import STAFF, Scope, acting_staff, allow, require_municipality
from services.http.auth import Principal, Role
from services.http.commands import CommandContext
from services.http.deps import Svc
from services.http.problems import status_for
from services.web.i18n import translate
from services.web.render import language, page

router = APIRouter(prefix="/app", include_in_schema=False)
Staffer = Annotated[Principal, allow(*STAFF)]
OneCandidate = Annotated[Principal, allow(*STAFF, scope=Scope.CANDIDATE)]
LEAD = Annotated[Principal, allow(Role.TEAM_LEAD, scope=Scope.CANDIDATE)]
PERSONAL = ("name", "cpr", "phone", "email", "address", "notes")
PURPOSES = ("referral", "follow_up", "contact", "correction")


@router.get("/candidates")
def find_page(request: Request, who: Staffer) -> Response:
    """Find a candidate: by CPR number, or by name among your own candidates."""
    return _find(request, who, None, {}, 200)


@router.post("/candidates")
async def find(request: Request, svc: Svc, who: Staffer) -> Response:
    """The candidates the posted CPR number or name finds (each one shown is logged)."""
    form = await request.form()
    cpr, query = str(form.get("cpr") or "").strip(), str(form.get("query") or "").strip()
    lang = language(request)
    if cpr:
        try:
            ids = await run_in_threadpool(reads.ids_by_cpr, svc, who, cpr)
        except InvalidCprError:
            return _find(
                request, who, None, {"find_cpr": {"cpr": translate("cand.bad_cpr", lang)}}, 422
            )
        named = await run_in_threadpool(reads.names_of, svc, who, ids, reads.LOOKUP_PURPOSE)
        hits = [(cid, name) for cid, name in named.items() if name is not None]
    else:
        hits = await run_in_threadpool(reads.by_name, svc, who, query[:200])
    return _find(request, who, hits, {}, 200)


def _find(
    request: Request,
    who: Principal,
    hits: list[tuple[UUID, str]] | None,
    errors: dict[str, dict[str, str]],
    status: int,
) -> Response:
    return page(
        request,
        "candidates.html",
        status,
        who=who,
        hits=hits,
        form_errors=errors,
        form_values={},
        keys={"find_cpr": "", "find_name": ""},
    )


@router.get("/candidates/new")
def new_page(request: Request, who: Staffer) -> Response:
    """The form that registers a job seeker."""
    return _new(request, who, {}, {}, uuid4().hex, 200)


def _new(
    request: Request,
    who: Principal,
    values: dict[str, str],
    errors: dict[str, str],
    key: str,
    status: int,
) -> Response:
    codes = sorted(who.municipalities)
    return page(
        request,
        "candidate_new.html",
        status,
        who=who,
        municipalities=[(c, c) for c in codes],
        form_values={"register": values},
        form_errors={"register": errors} if errors else {},
        keys={"register": key},
    )


@router.post("/candidates/new")
async def register_candidate(request: Request, svc: Svc, who: Staffer) -> Response:
    """Register the job seeker: sealed, indexed by CPR number, then opened on their page."""
    form = await request.form()
    lang = language(request)
    values = {k: str(form.get(k) or "").strip() for k in (*PERSONAL, "municipality")}
    codes = sorted(who.municipalities)
    if not values["municipality"] and len(codes) == 1:
        values["municipality"] = codes[0]
    key = str(form.get("idempotency_key") or "")[:200] or uuid4().hex
    errors: dict[str, str] = {}
    status = 422
    try:
        body = RegisterCandidate.model_validate({k: v for k, v in values.items() if v})
        require_municipality(who, body.municipality)
        ctx = CommandContext(request, Response(), svc, key, None)
        ctx.who = who
        answer = await register(ctx, body, acting_staff(who, None))
    except ValidationError as error:
        for e in error.errors():
            name = str(e["loc"][0]) if e["loc"] else "_form"
            text = translate(f"err.{e['type']}", lang)
            errors.setdefault(name, e["msg"] if text == f"err.{e['type']}" else text)
        if "cpr" in errors and errors["cpr"] != translate("err.missing", lang):
            errors["cpr"] = translate("cand.bad_cpr", lang)
    except InvalidCprError:
        errors["cpr"] = translate("cand.bad_cpr", lang)
    except (DomainError, ServiceError) as error:
        status, _ = status_for(error)
        errors["_form"] = error.detail
    else:
        return RedirectResponse(f"/app/candidates/{answer.id}?saved=register", status_code=303)
    values.pop("cpr", None)  # never sent back: typed again
    return _new(request, who, values, errors, key, status)


@router.get("/candidates/{candidate_id}")
def candidate(request: Request, candidate_id: UUID, svc: Svc, who: OneCandidate) -> Response:
    """The candidate without their personal data: open it with a purpose."""
    return _candidate(request, svc, who, candidate_id, None)


@router.post("/candidates/{candidate_id}")
async def open_candidate(
    request: Request, candidate_id: UUID, svc: Svc, who: OneCandidate
) -> Response:
    """The candidate with their personal data, read for the posted purpose (logged)."""
    form = await request.form()
    lang = language(request)
    chosen = str(form.get("purpose") or "")
    purpose = translate(f"purpose.{chosen}", "da") if chosen in PURPOSES else chosen.strip()
    if len(purpose) < 3:
        errors = {"open": {"purpose": translate("err.missing", lang)}}
        return await run_in_threadpool(
            _candidate, request, svc, who, candidate_id, None, errors, 422
        )
    return await run_in_threadpool(_candidate, request, svc, who, candidate_id, purpose[:200])


def _candidate(
    request: Request,
    svc: Svc,
    who: Principal,
    candidate_id: UUID,
    purpose: str | None,
    errors: dict[str, dict[str, str]] | None = None,
    status: int = 200,
) -> Response:
    lang = language(request)
    view = (
        reads.view_of(svc, who, candidate_id, purpose)
        if purpose
        else _closed(reads.candidate_of(svc, candidate_id))
    )
    lead = who.role is Role.TEAM_LEAD
    return page(
        request,
        "candidate.html",
        status,
        who=who,
        c=view,
        opened=purpose is not None,
        purposes=[(p, translate(f"purpose.{p}", lang)) for p in PURPOSES],
        accesses=svc.vault.accesses(candidate_id) if lead else None,
        can_erase=lead,
        form_errors=errors or {},
        form_values={},
        keys={"open": "", "erase": uuid4().hex},
        saved=request.query_params.get("saved"),
    )


def _closed(found: Any) -> reads.CandidateView:
    return reads.CandidateView(
        id=found.id,
        municipality=found.municipality,
        erased=found.erased,
        erased_on=found.erased_on,
        health_clarified_on=found.health_clarified_on,
        motivation_clarified_on=found.motivation_clarified_on,
        personal_data=None,
    )


@router.post("/candidates/{candidate_id}/erase")
async def erase(request: Request, candidate_id: UUID, svc: Svc, who: LEAD) -> Response:
    """Erase the candidate's personal data for good (team leads; not under a legal hold)."""
    form = await request.form()
    lang = language(request)
    if form.get("confirm") != "yes":
        errors = {"erase": {"confirm": translate("cand.confirm_missing", lang)}}
        return await run_in_threadpool(
            _candidate, request, svc, who, candidate_id, None, errors, 422
        )
    key = str(form.get("idempotency_key") or "")[:200] or None
    ctx = CommandContext(request, Response(), svc, key, None)
    ctx.who = who
    try:
        answer = await erase_for_good(ctx, candidate_id, Erase(), acting_staff(who, None))
    except CandidateOnLegalHoldError:
        errors = {"erase": {"_form": translate("cand.held", lang)}}
        return await run_in_threadpool(
            _candidate, request, svc, who, candidate_id, None, errors, 409
        )
    return RedirectResponse(
        f"/app/candidates/{candidate_id}?min_position={answer.position}&saved=erase",
        status_code=303,
    )
