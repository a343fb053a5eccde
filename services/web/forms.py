"""The company page's short forms: each builds its command with the same use case the
API's route runs (services.write.companies), validated by the API's request schema.

A form carries an Idempotency-Key made when it was rendered, so pressing the button
twice records one event; after saving, the page is shown at the command's log
position (read-your-writes). Refusals are shown next to their field, from the same
validation and domain errors the API answers with.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from domain.errors import CompanyNotFoundError, DomainError
from infra.clock import COPENHAGEN
from services.api import schemas as s
from services.errors import ServiceError
from services.http.access import STAFF, Scope, acting_staff, allow
from services.http.auth import Principal, Role
from services.http.commands import Builder, CommandContext
from services.http.deps import Svc
from services.http.problems import status_for
from services.http.reading import views_at
from services.web.company import company_page
from services.web.i18n import translate
from services.web.render import language
from services.web.signin import safe_next
from services.write import companies as use

router = APIRouter(prefix="/app", include_in_schema=False)


@dataclass(frozen=True)
class Filled:
    """A form's context: the company, who records it, the form's path id, the clock."""

    cvr: str
    by: UUID
    item_id: UUID  # what the form names by id (a placement, ...), else a new id
    now: datetime
    may_reassign: bool


Make = Callable[[Any, Filled], Builder]


@dataclass(frozen=True)
class Action:
    """One short form: its body schema, the use case it runs, and a path id if any."""

    schema: type[BaseModel]
    make: Make
    path_id: str | None = None
    lists: tuple[str, ...] = ()  # fields given as several values or lines
    fixed: tuple[tuple[str, str], ...] = ()


def _log_contact(b: s.LogContact, f: Filled) -> Builder:
    return lambda claim, version: use.log_contact(
        cvr=f.cvr, by=f.by, contact_id=f.item_id, channel=b.channel,
        occurred_at=b.occurred_at, summary=b.summary, topics=b.topics, now=f.now,
        claim=claim, expected_version=version)


def _register_opening(b: s.RegisterOpening, f: Filled) -> Builder:
    return lambda claim, version: use.register_opening(
        cvr=f.cvr, by=f.by, opening_id=f.item_id, title=b.title,
        carved_out_tasks=b.carved_out_tasks, hours_per_week=b.hours_per_week,
        placement_kinds=b.placement_kinds, requirements=b.requirements,
        positions=b.positions, claim=claim, expected_version=version)


def _refer_candidate(b: s.ReferCandidate, f: Filled) -> Builder:
    return lambda claim, version: use.refer_candidate(
        cvr=f.cvr, by=f.by, referral_id=f.item_id, opening_id=b.opening_id,
        candidate_id=b.candidate_id, health_clarified_on=b.health_clarified_on,
        motivation_clarified_on=b.motivation_clarified_on, now=f.now, claim=claim,
        expected_version=version)


def _start_placement(b: s.StartPlacement, f: Filled) -> Builder:
    return lambda claim, version: use.start_placement(
        cvr=f.cvr, by=f.by, placement_id=f.item_id, candidate_id=b.candidate_id,
        referral_id=b.referral_id, kind=b.kind, hours_per_week=b.hours_per_week,
        starts_on=b.starts_on, claim=claim, expected_version=version)


def _change_placement(b: s.ChangePlacement, f: Filled) -> Builder:
    return lambda claim, version: use.change_placement(
        cvr=f.cvr, by=f.by, placement_id=f.item_id, effective_on=b.effective_on,
        kind=b.kind, hours_per_week=b.hours_per_week, claim=claim, expected_version=version)


def _end_placement(b: s.EndPlacement, f: Filled) -> Builder:
    return lambda claim, version: use.end_placement(
        cvr=f.cvr, by=f.by, placement_id=f.item_id, ends_on=b.ends_on, reason=b.reason,
        now=f.now, claim=claim, expected_version=version)


def _schedule_follow_up(b: s.ScheduleFollowUp, f: Filled) -> Builder:
    return lambda claim, version: use.schedule_follow_up(
        cvr=f.cvr, by=f.by, follow_up_id=f.item_id, placement_id=b.placement_id,
        due_on=b.due_on, claim=claim, expected_version=version)


def _complete_follow_up(b: s.CompleteFollowUp, f: Filled) -> Builder:
    return lambda claim, version: use.complete_follow_up(
        cvr=f.cvr, by=f.by, follow_up_id=f.item_id, held_on=b.held_on, status=b.status,
        now=f.now, claim=claim, expected_version=version)


def _hand_over(b: s.AssignContactPerson, f: Filled) -> Builder:
    return lambda claim, version: use.assign_contact_person(
        cvr=f.cvr, by=f.by, staff_id=b.staff_id, reason=b.reason,
        handover_note=b.handover_note, may_reassign=f.may_reassign, claim=claim,
        expected_version=version)


ACTIONS: dict[str, Action] = {
    "log_contact": Action(s.LogContact, _log_contact, lists=("topics",)),
    "register_opening": Action(s.RegisterOpening, _register_opening,
                               lists=("placement_kinds", "carved_out_tasks")),
    "refer_candidate": Action(s.ReferCandidate, _refer_candidate),
    "start_placement": Action(s.StartPlacement, _start_placement),
    "change_placement": Action(s.ChangePlacement, _change_placement, "placement_id"),
    "end_placement": Action(s.EndPlacement, _end_placement, "placement_id"),
    "schedule_follow_up": Action(s.ScheduleFollowUp, _schedule_follow_up),
    "complete_follow_up": Action(s.CompleteFollowUp, _complete_follow_up, "follow_up_id"),
    "hand_over": Action(s.AssignContactPerson, _hand_over, fixed=(("reason", "handover"),)),
}
_SKIP = {"csrf_token", "idempotency_key", "next"}


def _values(form: FormData, action: Action) -> dict[str, Any]:
    """The form as entered, for showing it again."""
    values: dict[str, Any] = {}
    for key in {k for k in form if k not in _SKIP}:
        many = form.getlist(key)
        values[key] = [str(v) for v in many] if (key in action.lists and len(many) > 1) \
            or key == "placement_kinds" else str(many[0])
    return values


def _body(values: dict[str, Any], action: Action) -> dict[str, Any]:
    """The command's JSON body from the form: lists split, blanks left out, local times
    made Danish."""
    body: dict[str, Any] = dict(action.fixed)
    for key, value in values.items():
        if key == action.path_id:
            continue
        if key in action.lists:
            items = value if isinstance(value, list) else \
                [v for part in value.splitlines() for v in part.split(",")]
            body[key] = [v.strip() for v in items if v.strip()]
        elif value.strip():
            body[key] = value.strip()
    if "occurred_at" in body:
        with suppress(ValueError):  # if it is no date and time, the schema says so
            body["occurred_at"] = datetime.fromisoformat(body["occurred_at"]).replace(
                tzinfo=COPENHAGEN).isoformat()
    return body


def _field_errors(error: ValidationError, lang: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for e in error.errors():
        name = str(e["loc"][0]) if e["loc"] else "_form"
        text = translate(f"err.{e['type']}", lang)
        found.setdefault(name, e["msg"] if text == f"err.{e['type']}" else text)
    return found


@router.post("/companies/{cvr}/{action}")
async def record(
    request: Request, cvr: str, action: str, svc: Svc,
    who: Annotated[Principal, allow(*STAFF, scope=Scope.COMPANY)],
) -> Response:
    """Run one of the company page's short forms (log a contact, hand over, ...)."""
    chosen = ACTIONS.get(action)
    if chosen is None:
        raise CompanyNotFoundError(f"there is no form {action!r} on the company page")
    form = await request.form()
    lang = language(request)
    values = _values(form, chosen)
    key = str(form.get("idempotency_key") or "")[:200] or None
    errors: dict[str, str] = {}
    status = 422
    try:
        body = chosen.schema.model_validate(_body(values, chosen))
        path_id = _path_id(values, chosen, errors, lang)
        ctx = CommandContext(request, Response(), svc, key, None)
        ctx.who = who
        filled = Filled(cvr, acting_staff(who, getattr(body, "by", None)), path_id,
                        ctx.now(), who.role is Role.TEAM_LEAD)
        answer = await ctx.run(chosen.make(body, filled), body)
    except ValidationError as error:
        errors.update(_field_errors(error, lang))
    except (DomainError, ServiceError) as error:
        status, _ = status_for(error)
        errors["_form"] = error.detail
    except _Refused:
        pass
    else:
        target = safe_next(str(form.get("next") or "")) if form.get("next") else \
            f"/app/companies/{answer.cvr or cvr}"
        joiner = "&" if "?" in target else "?"
        return RedirectResponse(f"{target}{joiner}min_position={answer.position}"
                                f"&saved={action}", status_code=303)
    if form.get("next"):  # a form on another page (the team page): show the refusal there
        return _refused_elsewhere(request, errors, status)
    return company_page(request, svc, who, cvr, filters={}, cursor=None, at=views_at(svc),
                        form_errors={action: errors}, form_values={action: values},
                        keys={action: key or ""}, status=status)


class _Refused(Exception):
    """A form field the schema does not see (a path id) was refused."""


def _path_id(values: dict[str, Any], action: Action, errors: dict[str, str],
             lang: str) -> UUID:
    """The id the form's path names, else a new one for what the command creates."""
    if action.path_id is None:
        return uuid4()
    try:
        return UUID(str(values.get(action.path_id, "")))
    except ValueError:
        errors[action.path_id] = translate("err.missing", lang)
        raise _Refused() from None


def _refused_elsewhere(request: Request, errors: dict[str, str], status: int) -> Response:
    from services.web.render import page

    detail = "; ".join(f"{k}: {v}" if k != "_form" else v for k, v in errors.items())
    return page(request, "error.html", status, heading=translate("form.errors",
                language(request)), detail=detail, request_id=None)
