"""The company page: the overview on top, the short forms, the timeline below."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import uuid4

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from domain.values import (
    Channel,
    FollowUpStatus,
    PlacementEndReason,
    PlacementKind,
    company_id,
    normalise_cvr,
)
from services.http.access import READERS, Scope, allow
from services.http.auth import STAFF_ROLES, Principal
from services.http.deps import Svc
from services.http.limits import MAX_POSITION
from services.http.reading import All, reading
from services.http.visibility import company_municipality
from services.read.projections_at import ProjectionsAt
from services.read.queries.notices import mark_seen, unread_notices
from services.read.queries.overview import Overview, company_overview
from services.read.queries.people import staff_of
from services.read.queries.timeline import TimelineEntry, TimelineFilters, timeline_page
from services.web.i18n import CATALOGUE, day, translate
from services.web.people import candidate_names, shown_candidate
from services.web.render import language, page, partial

router = APIRouter(prefix="/app", include_in_schema=False)
PAGE_SIZE = 50  # timeline entries per page that the script (or the "more" link) loads
FIRST_PAGE = 20  # on the page as first opened: less to render before it shows
NEWS = 10  # unread notices shown on the company page ("since you last looked")
FORMS = (
    "log_contact",
    "register_opening",
    "refer_candidate",
    "start_placement",
    "change_placement",
    "end_placement",
    "schedule_follow_up",
    "complete_follow_up",
    "hand_over",
)
_QUIET = {
    "contact_id",
    "contract_id",
    "opening_id",
    "referral_id",
    "placement_id",
    "follow_up_id",
    "commitment_id",
    "candidate_id",
    "by",
    "staff_id",
    "previous_staff_id",
    "id",
    "candidate_erased",
}


def describe(
    entry: TimelineEntry,
    lang: str,
    names: dict[str, str],
    candidates: dict[str, str | None] | None = None,
) -> str:
    """One line saying what an event recorded, in the page's language; the job seeker
    it names by name where `candidates` has it (the viewer may see names)."""
    data = entry.data
    if entry.kind in ("contact_logged", "contact_corrected"):
        channel = translate(f"channel.{data.get('channel')}", lang)
        return f"{channel}: {data.get('summary', '')}"
    parts = []
    if entry.kind == "contact_person_assigned" and data.get("staff_id"):
        parts.append(names.get(str(data["staff_id"]), str(data["staff_id"])[:8]))
    if candidates is not None and data.get("candidate_id"):
        shown = shown_candidate(candidates, data, lang)
        parts.append(f"{translate('field.candidate', lang)}: {shown}")
    for key, value in data.items():
        if key in _QUIET or value in (None, "", [], {}):
            continue
        label = translate(f"field.{key}", lang) if f"field.{key}" in CATALOGUE else key
        parts.append(f"{label}: {_shown(key, value, lang)}")
    return " · ".join(parts)


# Fields whose values are codes with a text of their own in the catalogue.
_CODES = {
    "kind": "placement",
    "placement_kinds": "placement",
    "channel": "channel",
    "preferred_channel": "channel",
    "outcome": "outcome",
    "status": "status",
    "unit": "unit",
}


def _shown(key: str, value: Any, lang: str) -> str:
    """A field's value as the user reads it: codes translated, dates Danish."""
    if isinstance(value, list):
        return ", ".join(_shown(key, v, lang) for v in value)
    if isinstance(value, bool):
        return translate("yes" if value else "no", lang)
    text = str(value)
    if key in _CODES and f"{_CODES[key]}.{text}" in CATALOGUE:
        return translate(f"{_CODES[key]}.{text}", lang)
    if key == "reason" and f"end.{text}" in CATALOGUE:
        return translate(f"end.{text}", lang)
    if key.endswith(("_on", "_date")) and len(text) == 10:
        return day(text)
    return text


def _staff(at: ProjectionsAt, municipality: str) -> list[tuple[str, str, bool]]:
    """The municipality's staff: (id, name, whether they have a departure recorded)."""
    return [(s.id, s.name, s.left) for s in staff_of(at, municipality)]


def _choices(o: Overview, lang: str, staff: list[tuple[str, str, bool]]) -> dict[str, Any]:
    def t(key: str) -> str:
        return translate(key, lang)

    placements = [
        (
            p["placement_id"],
            f"{p['candidate_id'][:8]} · {t('placement.' + p['kind'])} · {p['starts_on']}",
        )
        for p in o.in_placement
    ]
    return {
        "channel": [(c.value, t(f"channel.{c.value}")) for c in Channel],
        "kind": [(k.value, t(f"placement.{k.value}")) for k in PlacementKind],
        "end": [(r.value, t(f"end.{r.value}")) for r in PlacementEndReason],
        "status": [(s.value, t(f"status.{s.value}")) for s in FollowUpStatus],
        "opening": [(x["opening_id"], x["title"]) for x in o.open_openings],
        "referral": [
            (x["referral_id"], f"{x['candidate_id'][:8]} · {x['referred_at'][:10]}")
            for x in o.referrals_in_flight
        ],
        "placement": placements,
        "follow_up": [
            (f["follow_up_id"], f["due_on"]) for f in [*o.follow_ups_overdue, *o.follow_ups_due]
        ],
        "staff": [(sid, name) for sid, name, left in staff if not left],
        "actor": [(sid, name) for sid, name, _ in staff],
        "event_kind": _event_kinds(lang),
    }


@cache
def _event_kinds(lang: str) -> list[tuple[str, str]]:
    """The timeline filter's kinds, from the catalogue (once per language)."""
    return [
        (k.removeprefix("kind."), text[0 if lang == "da" else 1])
        for k, text in CATALOGUE.items()
        if k.startswith("kind.")
    ]


def company_page(
    request: Request,
    svc: Svc,
    who: Principal,
    cvr: str,
    *,
    filters: dict[str, Any],
    cursor: int | None,
    at: ProjectionsAt,
    form_errors: dict[str, dict[str, str]] | None = None,
    form_values: dict[str, dict[str, Any]] | None = None,
    keys: dict[str, str] | None = None,
    status: int = 200,
    picks: list[tuple[str, str]] | None = None,
) -> Response:
    """The company page, or (asked by the page's script) one more page of its timeline;
    all its reads in one read transaction. The page shows the viewer's unread notices of
    the company, which it then marks seen (after the read transaction)."""
    with at.views.reading():  # the views the page's reads query (a replica, if set)
        response, seen = _company_page(
            request,
            svc,
            who,
            cvr,
            filters=filters,
            cursor=cursor,
            at=at,
            form_errors=form_errors,
            form_values=form_values,
            keys=keys,
            status=status,
            picks=picks or [],
        )
    if seen is not None and who.staff_id is not None:
        mark_seen(svc.views, who.staff_id, str(company_id(normalise_cvr(cvr))), seen)
    return response


def _company_page(
    request: Request,
    svc: Svc,
    who: Principal,
    cvr: str,
    *,
    filters: dict[str, Any],
    cursor: int | None,
    at: ProjectionsAt,
    form_errors: dict[str, dict[str, str]] | None,
    form_values: dict[str, dict[str, Any]] | None,
    keys: dict[str, str] | None,
    status: int,
    picks: list[tuple[str, str]],
) -> tuple[Response, int | None]:
    """The page, and the newest notice it shows the viewer (None if none)."""
    lang = language(request)
    cvr = normalise_cvr(cvr)
    page_of = timeline_page(
        at,
        cvr,
        TimelineFilters(
            kind=filters.get("kind") or None,
            actor=filters.get("actor") or None,
            from_=filters.get("from"),
            to=filters.get("to"),
            cursor=cursor,
            limit=PAGE_SIZE if cursor or partial(request) else FIRST_PAGE,
        ),
    )
    staff = _staff(at, _municipality(svc, cvr))  # the company's municipality never changes
    names = {sid: name for sid, name, _ in staff}
    o = None if partial(request) == "timeline" else company_overview(at, cvr)
    named = [e.data for e in page_of.entries]
    if o is not None:
        named += o.referrals_in_flight + o.in_placement
    candidates = candidate_names(svc, who, named)
    entries = [
        {
            "kind": e.kind,
            "occurred_at": e.occurred_at,
            "actor": e.actor,
            "text": describe(e, lang, names, candidates),
        }
        for e in page_of.entries
    ]
    next_url = None
    if page_of.next_cursor is not None:
        shown = {k: v for k, v in filters.items() if v}
        next_url = f"/app/companies/{cvr}?" + urlencode({**shown, "cursor": page_of.next_cursor})
    if o is None:
        more = page(request, "_timeline_page.html", who=who, entries=entries, next_url=next_url)
        return more, None
    choices = _choices(o, lang, staff)
    choices["candidate"] = picks
    news = None
    if who.staff_id is not None:
        news = unread_notices(at, who.staff_id, NEWS, str(company_id(cvr)))
    response = page(
        request,
        "company.html",
        status,
        who=who,
        o=o,
        entries=entries,
        next_url=next_url,
        filters={k: filters.get(k) or "" for k in ("kind", "actor", "from", "to")},
        choices=choices,
        can_write=who.role in STAFF_ROLES,
        form_errors=form_errors or {},
        form_values={
            "log_contact": {"occurred_at": svc.clock().strftime("%Y-%m-%dT%H:%M")},
            **(form_values or {}),
        },
        keys={f: (keys or {}).get(f) or uuid4().hex for f in FORMS},
        saved=request.query_params.get("saved"),
        news=news,
        candidate=lambda item: shown_candidate(candidates, item, lang),
    )
    return response, news.notices[0].position if news and news.notices else None


def _municipality(svc: Svc, cvr: str) -> str:
    return svc.municipalities.get(company_id(cvr)) or company_municipality(svc, cvr) or ""


@router.get("/companies/{cvr}")
def company(
    request: Request,
    cvr: str,
    svc: Svc,
    who: Annotated[Principal, allow(*READERS, scope=Scope.COMPANY)],
    at: Annotated[ProjectionsAt, Depends(reading(*All))],
    kind: Annotated[str | None, Query(max_length=60)] = None,
    actor: Annotated[str | None, Query(max_length=40)] = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: Annotated[date | None, Query()] = None,
    cursor: Annotated[int | None, Query(ge=1, le=MAX_POSITION)] = None,
) -> Response:
    """The company page: overview, short forms and the timeline (filterable, paged)."""
    filters = {"kind": kind, "actor": actor, "from": from_, "to": to}
    return company_page(request, svc, who, cvr, filters=filters, cursor=cursor, at=at)
