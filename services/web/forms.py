"""The company page's short forms: each builds its command as the API's route does
(services/api/company_requests.py), validated by the API's request schema.

A form carries an Idempotency-Key made when it was rendered, so pressing the button
twice records one event; after saving, the page is shown at the command's log
position (read-your-writes). Refusals are shown next to their field, from the same
validation and domain errors the API answers with.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from domain.errors import CompanyNotFoundError, DomainError
from domain.values import normalise_cvr
from infra.clock import COPENHAGEN
from services.api import company_requests as make
from services.api import schemas as s
from services.api.company_requests import On
from services.errors import ServiceError
from services.http.access import STAFF, Scope, acting_staff, allow
from services.http.auth import Principal, Role
from services.http.commands import Builder, CommandContext
from services.http.deps import Svc
from services.http.problems import status_for
from services.http.reading import projections_at
from services.http.visibility import company_municipality
from services.web.company import company_page
from services.web.i18n import translate
from services.web.picker import PICKING, PickRefused, picked
from services.web.render import language, page
from services.web.signin import safe_next

router = APIRouter(prefix="/app", include_in_schema=False)


Make = Callable[[Any, On], Builder]


@dataclass(frozen=True)
class Action:
    """One short form: its body schema, the use case it runs, and a path id if any."""

    schema: type[BaseModel]
    make: Make
    path_id: str | None = None
    lists: tuple[str, ...] = ()  # fields given as several values or lines
    fixed: tuple[tuple[str, str], ...] = ()


ACTIONS: dict[str, Action] = {
    "log_contact": Action(s.LogContact, make.log_contact, lists=("topics",)),
    "register_opening": Action(
        s.RegisterOpening, make.register_opening, lists=("placement_kinds", "carved_out_tasks")
    ),
    "refer_candidate": Action(s.ReferCandidate, make.refer_candidate),
    "start_placement": Action(s.StartPlacement, make.start_placement),
    "change_placement": Action(s.ChangePlacement, make.change_placement, "placement_id"),
    "end_placement": Action(s.EndPlacement, make.end_placement, "placement_id"),
    "schedule_follow_up": Action(s.ScheduleFollowUp, make.schedule_follow_up),
    "complete_follow_up": Action(s.CompleteFollowUp, make.complete_follow_up, "follow_up_id"),
    "hand_over": Action(
        s.AssignContactPerson, make.assign_contact_person, fixed=(("reason", "handover"),)
    ),
}
_SKIP = {"csrf_token", "idempotency_key", "next"}


def _values(form: FormData, action: Action) -> dict[str, Any]:
    """The form as entered, for showing it again."""
    values: dict[str, Any] = {}
    for key in {k for k in form if k not in _SKIP}:
        many = form.getlist(key)
        values[key] = (
            [str(v) for v in many]
            if (key in action.lists and len(many) > 1) or key == "placement_kinds"
            else str(many[0])
        )
    return values


def _body(values: dict[str, Any], action: Action) -> dict[str, Any]:
    """The command's JSON body from the form: lists split, blanks left out, local times
    made Danish."""
    body: dict[str, Any] = dict(action.fixed)
    for key, value in values.items():
        if key == action.path_id:
            continue
        if key in action.lists:
            items = (
                value
                if isinstance(value, list)
                else [v for part in value.splitlines() for v in part.split(",")]
            )
            body[key] = [v.strip() for v in items if v.strip()]
        elif value.strip():
            body[key] = value.strip()
            if _whole(action.schema, key) and re.fullmatch(r"-?[0-9]{1,12}", body[key]):
                body[key] = int(body[key])  # a form sends text; the schema takes no text
    if "occurred_at" in body:
        with suppress(ValueError):  # if it is no date and time, the schema says so
            body["occurred_at"] = (
                datetime.fromisoformat(body["occurred_at"]).replace(tzinfo=COPENHAGEN).isoformat()
            )
    return body


def _whole(schema: type[BaseModel], key: str) -> bool:
    """Whether the schema's field is a whole number (possibly optional)."""
    field = schema.model_fields.get(key)
    return field is not None and (field.annotation is int or field.annotation == int | None)


def _field_errors(error: ValidationError, lang: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for e in error.errors():
        name = str(e["loc"][0]) if e["loc"] else "_form"
        text = translate(f"err.{e['type']}", lang)
        found.setdefault(name, e["msg"] if text == f"err.{e['type']}" else text)
    return found


@router.post("/companies/{cvr}/{action}")
async def record(
    request: Request,
    cvr: str,
    action: str,
    svc: Svc,
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
    picks: list[tuple[str, str]] = []
    status = 422
    try:
        if action in PICKING:
            municipality = await run_in_threadpool(company_municipality, svc, normalise_cvr(cvr))
            await run_in_threadpool(picked, svc, who, municipality or "", values, action, lang)
        body = chosen.schema.model_validate(_body(values, chosen))
        path_id = _path_id(values, chosen, errors, lang)
        ctx = CommandContext(request, Response(), svc, key, None)
        ctx.who = who
        on = On(
            cvr,
            acting_staff(who, getattr(body, "by", None)),
            ctx.now(),
            who.role is Role.TEAM_LEAD,
            path_id,
        )
        answer = await ctx.run(chosen.make(body, on), body)
    except ValidationError as error:
        errors.update(_field_errors(error, lang))
    except (DomainError, ServiceError) as error:
        status, _ = status_for(error)
        errors["_form"] = error.detail
    except _Refused:
        pass
    except PickRefused as refused:
        errors[refused.field] = refused.text
        picks = refused.choices
    else:
        target = (
            safe_next(str(form.get("next") or ""))
            if form.get("next")
            else f"/app/companies/{answer.cvr or cvr}"
        )
        joiner = "&" if "?" in target else "?"
        return RedirectResponse(
            f"{target}{joiner}min_position={answer.position}&saved={action}", status_code=303
        )
    if form.get("next"):  # a form on another page (the team page): show the refusal there
        return _refused_elsewhere(request, errors, status)
    return company_page(
        request,
        svc,
        who,
        cvr,
        filters={},
        cursor=None,
        at=projections_at(svc),
        form_errors={action: errors},
        form_values={action: values},
        keys={action: key or ""},
        status=status,
        picks=picks,
    )


class _Refused(Exception):
    """A form field the schema does not see (a path id) was refused."""


def _path_id(values: dict[str, Any], action: Action, errors: dict[str, str], lang: str) -> UUID:
    """The id the form's path names, else a new one for what the command creates."""
    if action.path_id is None:
        return uuid4()
    try:
        return UUID(str(values.get(action.path_id, "")))
    except ValueError:
        errors[action.path_id] = translate("err.missing", lang)
        raise _Refused() from None


def _refused_elsewhere(request: Request, errors: dict[str, str], status: int) -> Response:
    detail = "; ".join(f"{k}: {v}" if k != "_form" else v for k, v in errors.items())
    return page(
        request,
        "error.html",
        status,
        heading=translate("form.errors", language(request)),
        detail=detail,
        request_id=None,
    )
