"""GET /companies/{cvr}: the one-contact-person view of a company."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from domain.errors import CompanyNotFoundError
from domain.values import company_id, normalise_cvr
from projections.base import Rows, Statement
from projections.overview import TOTALS
from services.api.erasure import erased_sql
from services.api.reads import Person, has_left
from services.http.access import READERS, Scope, allow
from services.http.auth import Principal
from services.http.container import Services
from services.http.deps import Svc
from services.http.reading import ViewsAt, reading

router = APIRouter(tags=["reads"])
DEFAULT_CONTACT_CAP = 4  # contacts per month, when the company has not set its own
ITEMS = 10  # entries per list in the overview, unless ?items= says otherwise
DUE_DAYS = 14  # follow-ups due within this many days are "due"


class Holder(BaseModel):
    person: Person
    since: str
    reason: str
    handover_note: str
    previous: Person | None


class Contact(BaseModel):
    person: Person
    unit: str
    channel: str
    occurred_at: str
    summary: str


class Coordination(BaseModel):
    contacts_7_days: int
    contacts_30_days: int
    distinct_actors_30_days: int
    from_others_30_days: int
    cap_per_month: int
    cap_is_companys_own: bool
    warning: str | None


class Totals(BaseModel):
    earlier_contact_persons: int
    open_openings: int
    referrals_in_flight: int
    in_placement: int
    follow_ups_overdue: int
    follow_ups_due: int
    commitments: int


class Overview(BaseModel):
    cvr: str
    name: str
    municipality: str
    contact_person: Holder | None
    earlier_contact_persons: list[Holder]
    last_contact: Contact | None
    coordination: Coordination
    open_openings: list[dict[str, Any]]
    referrals_in_flight: list[dict[str, Any]]
    in_placement: list[dict[str, Any]]
    follow_ups_overdue: list[dict[str, Any]]
    follow_ups_due: list[dict[str, Any]]
    commitments: list[dict[str, Any]]
    totals: Totals


@dataclass(frozen=True)
class _List:
    """One list of the overview: its query (without ORDER/LIMIT) and its order."""

    select: str
    where: str
    order: str
    dated: str = ""  # a condition on today's date, for the follow-up lists (and totals)


# The lists of the overview, most useful first. Each shows its first ITEMS entries and
# its total; GET /companies/{cvr}/overview/{list} pages through the rest.
_LISTS: dict[str, _List] = {
    "open_openings": _List(
        "SELECT x.opening_id, x.title, x.hours_per_week, x.positions, x.kinds "
        "FROM {o}openings x", "x.company_id = %s AND x.open = 1", "x.opening_id"),
    "referrals_in_flight": _List(
        "SELECT x.referral_id, x.opening_id, x.candidate_id, x.referred_at, "
        "x.health_clarified, x.motivation_clarified, {erased} AS candidate_erased "
        "FROM {o}referrals x",
        "x.company_id = %s AND x.outcome IS NULL", "x.referred_at, x.referral_id"),
    "in_placement": _List(
        "SELECT x.placement_id, x.candidate_id, x.kind, x.hours_per_week, x.starts_on, "
        "(SELECT MIN(f.due_on) FROM {o}follow_ups f WHERE f.placement_id = x.placement_id "
        "AND f.status IS NULL) AS next_follow_up, {erased} AS candidate_erased "
        "FROM {o}placements x",
        "x.company_id = %s AND x.ended_on IS NULL", "x.starts_on DESC, x.placement_id"),
    "follow_ups_overdue": _List(
        "SELECT x.follow_up_id, x.placement_id, x.due_on, x.scheduled_by FROM {o}follow_ups x",
        "x.company_id = %s AND x.status IS NULL", "x.due_on, x.follow_up_id",
        "AND due_on < %s"),
    "follow_ups_due": _List(
        "SELECT x.follow_up_id, x.placement_id, x.due_on, x.scheduled_by FROM {o}follow_ups x",
        "x.company_id = %s AND x.status IS NULL", "x.due_on, x.follow_up_id",
        "AND due_on >= %s AND due_on <= %s"),
    "commitments": _List(
        "SELECT x.commitment_id, x.description, x.target_hires, x.by_date, x.agreed_on, "
        "(SELECT COUNT(*) FROM {o}placements p WHERE p.company_id = x.company_id "
        "AND p.starts_on >= x.agreed_on AND p.starts_on <= x.by_date) AS actual_hires "
        "FROM {o}commitments x", "x.company_id = %s", "x.by_date, x.commitment_id"),
}
_DATED = ("follow_ups_overdue", "follow_ups_due")  # the lists whose totals depend on today
# How many follow-ups a company has open (due on days that `dated` picks): the sum of its
# open follow-ups per due date, a few rows where there may be thousands. The totals of the
# dated lists, and the open work of caseloads and the handover queue.
OPEN_FOLLOW_UPS = "(SELECT COALESCE(SUM(f.follow_ups), 0) FROM {o}open_follow_ups f " \
    "WHERE f.company_id = {company} {dated})"
ListName = Literal["open_openings", "referrals_in_flight", "in_placement",
                   "follow_ups_overdue", "follow_ups_due", "commitments"]
_VIEWS = ("overview", "directory", "candidates")
"""The read models the overview joins."""
Overviews = Annotated[ViewsAt, Depends(reading(*_VIEWS))]
Reader = Annotated[Principal, allow(*READERS, scope=Scope.COMPANY)]


class OverviewList(BaseModel):
    total: int
    offset: int
    entries: list[dict[str, Any]]


@router.get("/companies/{cvr}", response_model=Overview)
async def overview(
    cvr: str, who: Reader, at: Overviews,
    items: Annotated[int, Query(ge=1, le=200, description=(
        "Entries shown per list; `totals` counts them all, and "
        "/companies/{cvr}/overview/{list} pages through the rest"))] = ITEMS,
) -> Response:
    """The company's contact person and their predecessors, last contact, coordination,
    openings, referrals, placements, follow-ups and commitments (the first `items` of
    each list, with totals)."""
    # Read on the event loop (on PostgreSQL no hop to a worker thread and back); the
    # model is built right, so FastAPI's validation of it again is skipped (same JSON,
    # same schema). The services come with `at`: a dependency fewer to solve.
    read = _OverviewRead(cvr, at.services, items)
    rows = await at.read_async(_VIEWS, read.statements)
    return Response(read.overview(rows).model_dump_json(), media_type="application/json")


def company_overview(cvr: str, services: Services, at: ViewsAt,
                     items: int = ITEMS) -> Overview:
    """The overview of the company with this CVR (for the web page)."""
    read = _OverviewRead(cvr, services, items)
    return read.overview(at.read(_VIEWS, read.statements))


class _OverviewRead:
    """One read of a company's overview: every part of the answer as of the same moment
    (one round trip on PostgreSQL), then the answer from its rows."""

    def __init__(self, cvr: str, services: Services, items: int) -> None:
        self.cvr, self.items = normalise_cvr(cvr), items
        self.now = services.clock()
        self.stream = str(company_id(self.cvr))
        self.query: _Query | None = None

    def statements(self, prefix: Callable[[str], str]) -> list[Statement]:
        q = self.query = _Query(prefix, self.stream, self.now.date())
        return [q.head(), q.contacts_by_person(self.now), q.holders(self.items + 1),
                q.last_contact(), *(q.entries(list_name, self.items) for list_name in _LISTS)]

    def overview(self, rows: Rows) -> Overview:
        assert self.query is not None  # (the statements were made)
        return _overview(self.query, rows, self.cvr, self.items)


@router.get("/companies/{cvr}/overview/{list_name}")
def overview_list(
    cvr: str, list_name: ListName, services: Svc, who: Reader, at: Overviews,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> OverviewList:
    """One list of the overview in full, a page at a time, in the overview's order."""
    cvr = normalise_cvr(cvr)
    stream, today = str(company_id(cvr)), services.clock().date()

    def statements(prefix: Callable[[str], str]) -> list[Statement]:
        q = _Query(prefix, stream, today)
        return [q.rows("SELECT 1 FROM {o}companies WHERE company_id = %s"),
                q.totals([list_name]), q.entries(list_name, limit, offset)]

    known, [total], rows = at.read(_VIEWS, statements)
    if not known:
        raise CompanyNotFoundError(f"no company with CVR {cvr} is registered")
    return OverviewList(total=int(total[0]), offset=offset,
                        entries=_entries(list_name, rows))


def _overview(q: _Query, rows: Rows, cvr: str, items: int) -> Overview:
    head_rows, by_person, holder_rows, contact_rows, *pages = rows
    head = q.read_head(head_rows)
    if head is None:
        raise CompanyNotFoundError(f"no company with CVR {cvr} is registered")
    name, municipality, cap, contact_person, holder_count, totals = head
    holders = q.read_holders(holder_rows)
    return Overview(
        cvr=cvr, name=name, municipality=municipality,
        contact_person=holders[0] if holders else None,
        earlier_contact_persons=holders[1:], last_contact=q.read_last_contact(contact_rows),
        coordination=_coordination(cap, contact_person, by_person),
        totals=Totals(earlier_contact_persons=max(holder_count - 1, 0), **totals),
        **{list_name: _entries(list_name, rows) for list_name, rows in zip(
            _LISTS, pages, strict=True)},
    )


def _coordination(cap: int | None, contact_person: str | None,
                  by_person: list[tuple[Any, ...]]) -> Coordination:
    """The last 30 days' contacts against the cap, from (person, contacts in 30 days,
    of them in the last 7) rows."""
    month = sum(int(n) for _, n, _ in by_person)
    week = sum(int(n) for _, _, n in by_person)
    people = len(by_person)
    others = sum(int(n) for staff, n, _ in by_person if staff != contact_person)
    month_cap = cap or DEFAULT_CONTACT_CAP
    warning = None
    if month > month_cap:
        own = "its own" if cap else "the default"
        warning = (f"{month} contacts in 30 days from {people} people: "
                   f"more than {own} cap of {month_cap} a month")
    return Coordination(
        contacts_7_days=week, contacts_30_days=month, distinct_actors_30_days=people,
        from_others_30_days=others, cap_per_month=month_cap,
        cap_is_companys_own=cap is not None, warning=warning)


class _Query:
    """The overview's statements for one company, and the readers of their rows."""

    def __init__(self, prefix: Callable[[str], str], stream: str, today: date) -> None:
        self.o, self.d = prefix("overview"), prefix("directory")
        self.stream, self.today = stream, today
        self.erased = erased_sql(prefix("candidates"), "x.candidate_id")

    def raw(self, statement: str, params: tuple[Any, ...]) -> Statement:
        return statement.format(o=self.o, d=self.d, erased=self.erased), params

    def rows(self, statement: str, *params: Any) -> Statement:
        return self.raw(statement, (self.stream, *params))

    def _person(self, staff_id: str | None, name: str | None,
                left_on: str | None) -> Person | None:
        return None if staff_id is None else Person(id=staff_id, name=name,
                                                    left=has_left(left_on, self.today))

    def head(self) -> Statement:
        """The company's row with its stored totals, and the follow-ups overdue and due
        as of today (counted: they depend on the day)."""
        counts, params = self._counts(list(_DATED))
        return self.raw(
            "SELECT c.name, c.municipality, c.max_contacts_per_month, c.contact_person, "
            + ", ".join(f"c.{total}" for total in TOTALS) + ", " + ", ".join(counts)
            + " FROM {o}companies c WHERE c.company_id = %s", (*params, self.stream))

    def read_head(self, rows: list[tuple[Any, ...]]) -> tuple[
            str, str, int | None, str | None, int, dict[str, int]] | None:
        """The head's row, None if the company is unknown."""
        if not rows:
            return None
        name, municipality, cap, contact_person, *counts = rows[0]
        totals = {n.removesuffix("_total"): int(v) for n, v in zip(
            [*TOTALS, *_DATED], counts, strict=True)}
        return name, municipality, cap, contact_person, totals.pop("holders"), totals

    def contacts_by_person(self, now: datetime) -> Statement:
        """Per person, their contacts of the last 30 days and how many of those were in
        the last 7 (few rows: one per person)."""
        return self.raw(
            "SELECT staff_id, COUNT(*), SUM(CASE WHEN occurred_at >= %s THEN 1 ELSE 0 END) "
            "FROM {o}contacts WHERE company_id = %s AND occurred_at >= %s GROUP BY staff_id",
            (_utc_text(now - timedelta(days=7)), self.stream,
             _utc_text(now - timedelta(days=30))))

    def holders(self, limit: int) -> Statement:
        return self.rows("SELECT h.staff_id, h.since, h.reason, h.handover_note, "
                         "h.previous_staff_id, s.name, s.left_on, p.name, p.left_on "
                         "FROM {o}holders h LEFT JOIN {d}staff s ON s.staff_id = h.staff_id "
                         "LEFT JOIN {d}staff p ON p.staff_id = h.previous_staff_id "
                         "WHERE h.company_id = %s ORDER BY h.position DESC LIMIT %s", limit)

    def read_holders(self, rows: list[tuple[Any, ...]]) -> list[Holder]:
        return [Holder(person=self._person(r[0], r[5], r[6]) or Person(
                           id=r[0], name=None, left=False),
                       since=r[1], reason=r[2], handover_note=r[3],
                       previous=self._person(r[4], r[7], r[8]))
                for r in rows]

    def _dated(self, part: _List) -> tuple[Any, ...]:
        if not part.dated:
            return ()
        if part.dated.count("%s") == 1:
            return (self.today.isoformat(),)
        return (self.today.isoformat(), (self.today + timedelta(days=DUE_DAYS)).isoformat())

    def entries(self, list_name: str, limit: int, offset: int = 0) -> Statement:
        """A page of one list (its rows: `_entries`)."""
        part = _LISTS[list_name]
        statement = (f"{part.select} WHERE {part.where} {part.dated} ORDER BY {part.order} "
                     "LIMIT %s OFFSET %s")
        return self.rows(statement, *self._dated(part), limit, offset)

    def _counts(self, names: list[str]) -> tuple[list[str], list[Any]]:
        counts, params = [], []
        for list_name in names:
            part = _LISTS[list_name]
            if list_name in _DATED:
                counts.append(OPEN_FOLLOW_UPS.format(o="{o}", company="%s",
                                                     dated=part.dated))
            else:
                table = part.select.rsplit(" FROM ", 1)[1]
                counts.append(f"(SELECT COUNT(*) FROM {table} WHERE {part.where} "
                              f"{part.dated})")
            params += [self.stream, *self._dated(part)]
        return counts, params

    def totals(self, names: list[str]) -> Statement:
        """How many entries each list has, in one statement (one row, in `names` order)."""
        counts, params = self._counts(names)
        return self.raw("SELECT " + ", ".join(counts), tuple(params))

    def last_contact(self) -> Statement:
        return self.rows("SELECT c.staff_id, c.unit, c.channel, c.occurred_at, c.summary, "
                         "s.name, s.left_on FROM {o}contacts c LEFT JOIN {d}staff s "
                         "ON s.staff_id = c.staff_id WHERE c.company_id = %s "
                         "ORDER BY c.occurred_at DESC LIMIT 1")

    def read_last_contact(self, rows: list[tuple[Any, ...]]) -> Contact | None:
        if not rows:
            return None
        staff, unit, channel, occurred_at, summary, name, left_on = rows[0]
        person = self._person(staff, name, left_on) or Person(id=staff, name=None, left=False)
        return Contact(person=person, unit=unit, channel=channel, occurred_at=occurred_at,
                       summary=summary)


def _entries(list_name: str, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The entries of one list's page."""
    names = _columns(_LISTS[list_name].select)
    return [_decode(dict(zip(names, row, strict=True))) for row in rows]


@functools.cache
def _columns(statement: str) -> list[str]:
    """Result names: the alias after AS, else the column (top-level select list only)."""
    select = statement.split("SELECT", 1)[1]
    names, depth, current = [], 0, ""
    for ch in select:
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and ch == ",":
            names.append(current)
            current = ""
        elif depth == 0 and current.rstrip().endswith(" FROM"):
            break
        else:
            current += ch
    names.append(current.rsplit(" FROM", 1)[0])
    return [n.strip().split(" AS ")[-1].split(".")[-1] for n in names]


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    if "kinds" in row:
        row["kinds"] = json.loads(row["kinds"])["kinds"]
    for flag in ("health_clarified", "motivation_clarified", "candidate_erased"):
        if flag in row:
            row[flag] = bool(row[flag])
    return row


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
