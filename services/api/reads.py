"""Read routes over the projections: company search and the company timeline."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from domain.errors import CompanyNotFoundError
from domain.values import company_id, normalise_cvr
from infra.clock import COPENHAGEN
from projections.base import Rows, Statement
from projections.directory import fold
from services.api.erasure import erased_among, mark_erased
from services.http.access import READERS, Scope, allow, in_clause, visible_municipalities
from services.http.auth import Principal
from services.http.container import Services
from services.http.deps import Svc
from services.http.reading import ViewsAt, reading

router = APIRouter(tags=["reads"])


class Person(BaseModel):
    id: str
    name: str | None
    left: bool


class CompanyHit(BaseModel):
    cvr: str
    name: str
    municipality: str
    industry: str
    contact_person: Person | None


class TimelineEntry(BaseModel):
    position: int
    version: int
    kind: str
    occurred_at: str
    recorded_at: str
    actor: Person | None
    data: dict[str, Any]
    replaces: dict[str, Any] | None = None


class TimelinePage(BaseModel):
    entries: list[TimelineEntry]
    next_cursor: int | None


def has_left(left_on: str | None, today: date) -> bool:
    """Whether a departure dated `left_on` has happened by `today`."""
    return left_on is not None and left_on <= today.isoformat()


def _person(staff_id: str | None, name: str | None, left_on: str | None,
            today: date) -> Person | None:
    return Person(id=staff_id, name=name, left=has_left(left_on, today)) if staff_id else None


@router.get("/companies")
def search_companies(
    services: Svc,
    who: Annotated[Principal, allow(*READERS)],
    at: Annotated[ViewsAt, Depends(reading("directory"))],
    q: Annotated[str, Query(max_length=100, description="CVR or part of the name")] = "",
    municipality: Annotated[str | None, Query(pattern=r"^\d{3}$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[CompanyHit]:
    """Find companies by CVR or any part of their name (case- and accent-insensitive)."""
    d = at.prefix("directory")
    where: list[str] = ["1 = 1"]
    params: list[Any] = []
    text = q.strip()
    if text:
        long, short = (_like(f) for f in fold(text.replace("|", " ")))
        where.append("(c.cvr = %s OR c.folded LIKE %s ESCAPE '\\' "
                     "OR c.folded LIKE %s ESCAPE '\\')")
        params += ["".join(ch for ch in text if ch.isdigit())[-8:] or text, f"%{long}%",
                   f"%{short}%"]
    clause, codes = in_clause("c.municipality", visible_municipalities(who, municipality))
    where.append(clause)
    params += codes
    today = services.clock().date()
    rows = services.views.query(
        f"SELECT c.cvr, c.name, c.municipality, c.industry, c.contact_person, s.name, "
        f"s.left_on FROM {d}companies c LEFT JOIN {d}staff s ON s.staff_id = c.contact_person "
        f"WHERE {' AND '.join(where)} ORDER BY c.name LIMIT %s", (*params, limit))
    return [CompanyHit(cvr=r[0], name=r[1], municipality=r[2], industry=r[3],
                       contact_person=_person(r[4], r[5], r[6], today)) for r in rows]


TIMELINE_VIEWS = ("timeline", "directory", "candidates")
"""The read models a timeline page joins."""


@router.get("/companies/{cvr}/timeline", response_model=TimelinePage)
async def timeline(
    cvr: str,
    who: Annotated[Principal, allow(*READERS, scope=Scope.COMPANY)],
    at: Annotated[ViewsAt, Depends(reading(*TIMELINE_VIEWS))],
    kind: Annotated[str | None, Query(max_length=60, description="e.g. contact_logged")] = None,
    actor: Annotated[str | None, Query(max_length=40, description="staff id")] = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: Annotated[date | None, Query()] = None,
    cursor: Annotated[int | None, Query(ge=1, description="next_cursor of a page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    """Every event of the company, newest first; names stay even after people leave."""
    # Read on the event loop (on PostgreSQL no hop to a worker thread and back); the
    # page is built right, so FastAPI's validation of it again is skipped (same JSON,
    # same schema). The services come with `at`: a dependency fewer to solve.
    read = _TimelineRead(cvr, at.services, kind=kind, actor=actor, from_=from_, to=to,
                         cursor=cursor, limit=limit)
    second = read.take_page(await at.read_async(TIMELINE_VIEWS, read.page))
    if second is not None:
        read.take_originals(await at.read_async(TIMELINE_VIEWS, second))
    return Response(read.result().model_dump_json(), media_type="application/json")


def timeline_page(cvr: str, services: Services, at: ViewsAt, *, kind: str | None = None,
                  actor: str | None = None, from_: date | None = None,
                  to: date | None = None, cursor: int | None = None,
                  limit: int = 50) -> TimelinePage:
    """A page of the company's timeline (for the web page)."""
    read = _TimelineRead(cvr, services, kind=kind, actor=actor, from_=from_, to=to,
                         cursor=cursor, limit=limit)
    second = read.take_page(at.read(TIMELINE_VIEWS, read.page))
    if second is not None:
        read.take_originals(at.read(TIMELINE_VIEWS, second))
    return read.result()


class _TimelineRead:
    """One read of a timeline page: the page (one round trip on PostgreSQL), then one
    more when the page has corrections (they show the contact as first logged) or
    entries that name candidates (they say whether those were erased). The second is a
    moment after the page's, outside the web page's one transaction: what it reads
    never changes, except that a candidate may since have been erased, which is then
    shown."""

    def __init__(self, cvr: str, services: Services, *, kind: str | None,
                 actor: str | None, from_: date | None, to: date | None,
                 cursor: int | None, limit: int) -> None:
        self.cvr = normalise_cvr(cvr)
        self.stream = str(company_id(self.cvr))
        self.where: list[str] = ["e.company_id = %s"]
        self.params: list[Any] = [self.stream]
        for clause, value in (("e.kind = %s", kind), ("e.actor_id = %s", actor),
                              ("e.occurred_at >= %s", from_ and _day_starts(from_)),
                              ("e.occurred_at < %s", to and _next_day(to)),
                              ("e.position < %s", cursor)):
            if value is not None:
                self.where.append(clause)
                self.params.append(value)
        self.today = services.clock().date()
        self.limit = limit
        self.entries: list[TimelineEntry] = []
        self.more = False

    def page(self, prefix: Callable[[str], str]) -> list[Statement]:
        t, d = prefix("timeline"), prefix("directory")
        return [(f"SELECT 1 FROM {d}companies WHERE company_id = %s", (self.stream,)),
                (f"SELECT e.position, e.version, e.kind, e.occurred_at, e.recorded_at, "
                 f"e.actor_id, s.name, s.left_on, e.data FROM {t}entries e LEFT JOIN "
                 f"{d}staff s ON s.staff_id = e.actor_id WHERE {' AND '.join(self.where)} "
                 f"ORDER BY e.position DESC LIMIT %s", (*self.params, self.limit + 1))]

    def take_page(self, rows: Rows) -> Callable[[Callable[[str], str]], list[Statement]] | None:
        """The page from its rows; the statements of the second read, if it needs one."""
        known, entries = rows
        if not known:
            raise CompanyNotFoundError(f"no company with CVR {self.cvr} is registered")
        self.entries = [TimelineEntry(
            position=r[0], version=r[1], kind=r[2], occurred_at=r[3], recorded_at=r[4],
            actor=_person(r[5], r[6], r[7], self.today), data=json.loads(r[8]))
            for r in entries[:self.limit]]
        self.more = len(entries) > self.limit
        corrections = self._corrections()
        named = self._named()
        if not corrections and not named:
            return None

        def statements(prefix: Callable[[str], str]) -> list[Statement]:
            patterns = [f'%"contact_id":"{e.data["contact_id"]}"%' for e in corrections]
            return [(f"SELECT data FROM {prefix('timeline')}entries WHERE company_id = %s "
                     f"AND kind = 'contact_logged' AND "
                     f"({' OR '.join(['data LIKE %s'] * len(patterns)) or 'FALSE'})",
                     (self.stream, *patterns)),
                    erased_among(prefix("candidates"), named)]

        return statements

    def take_originals(self, rows: Rows) -> None:
        """The contacts as first logged, and the erased candidates, from their rows."""
        logged_rows, erased_rows = rows
        logged = {str(data["contact_id"]): data
                  for data in (json.loads(row[0]) for row in logged_rows)}
        for entry in self._corrections():
            entry.replaces = logged.get(str(entry.data["contact_id"]))
        mark_erased(self._named(), {str(row[0]) for row in erased_rows})

    def _corrections(self) -> list[TimelineEntry]:
        return [e for e in self.entries if e.kind == "contact_corrected"]

    def _named(self) -> list[dict[str, Any]]:
        return [e.data for e in self.entries if e.data.get("candidate_id")]

    def result(self) -> TimelinePage:
        return TimelinePage(entries=self.entries,
                            next_cursor=self.entries[-1].position if self.more else None)


def _day_starts(day: date) -> str:
    """When a Danish day starts, as stored (UTC ISO text; date-only entries sort with it)."""
    return datetime.combine(day, time(0), COPENHAGEN).astimezone(UTC).isoformat()


def _next_day(day: date) -> str | None:
    return None if day == date.max else _day_starts(date.fromordinal(day.toordinal() + 1))


def _like(text: str) -> str:
    """Literal text inside a LIKE pattern: its own % and _ match only themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
