"""GET /companies/{cvr}: the one-contact-person view of a company."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from domain.errors import CompanyNotFoundError
from domain.values import company_id, normalise_cvr
from projections.base import Sql
from services.api.reads import Person, Svc, ViewsAt, has_left, reading

router = APIRouter(tags=["reads"])
DEFAULT_CONTACT_CAP = 4  # contacts per month, when the company has not set its own


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


@router.get("/companies/{cvr}")
def overview(cvr: str, services: Svc,
             at: Annotated[ViewsAt, Depends(reading("overview", "directory"))]) -> Overview:
    """The company's contact person and their predecessors, last contact, coordination,
    openings, referrals, placements, follow-ups and commitments."""
    cvr = normalise_cvr(cvr)
    stream = str(company_id(cvr))
    o = at.prefix("overview")
    d = at.prefix("directory")
    now = services.clock()
    # One read transaction: every part of the answer is as of the same moment.
    with services.views.transaction(write=False) as sql:
        return _overview(_Query(sql, o, d, stream, now.date()), cvr, now)


def _overview(q: _Query, cvr: str, now: datetime) -> Overview:
    rows = q.rows("SELECT name, municipality, max_contacts_per_month FROM {o}companies "
                  "WHERE company_id = %s")
    if not rows:
        raise CompanyNotFoundError(f"no company with CVR {cvr} is registered")
    name, municipality, cap = rows[0]
    today = now.date()
    holders = q.holders()
    return Overview(
        cvr=cvr, name=name, municipality=municipality,
        contact_person=holders[0] if holders else None,
        earlier_contact_persons=holders[1:], last_contact=q.last_contact(),
        coordination=q.coordination(now, cap, holders),
        open_openings=q.dicts("SELECT opening_id, title, hours_per_week, positions, kinds "
                              "FROM {o}openings WHERE company_id = %s AND open = 1"),
        referrals_in_flight=q.dicts(
            "SELECT referral_id, opening_id, candidate_id, referred_at, health_clarified, "
            "motivation_clarified FROM {o}referrals WHERE company_id = %s "
            "AND outcome IS NULL ORDER BY referred_at"),
        in_placement=q.placements(),
        follow_ups_overdue=q.follow_ups("AND f.due_on < %s", today.isoformat()),
        follow_ups_due=q.follow_ups("AND f.due_on >= %s AND f.due_on <= %s",
                                    today.isoformat(), (today + timedelta(days=14)).isoformat()),
        commitments=q.commitments(),
    )


class _Query:
    """The overview's queries for one company."""

    def __init__(self, sql: Sql, o: str, d: str, stream: str, today: date) -> None:
        self.sql, self.o, self.d, self.stream, self.today = sql, o, d, stream, today
        self._people: dict[str, Person] = {}

    def raw(self, statement: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        self.sql.execute(statement.format(o=self.o, d=self.d), params)
        return self.sql.fetchall()

    def rows(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        return self.raw(statement, (self.stream, *params))

    def dicts(self, statement: str, *params: Any) -> list[dict[str, Any]]:
        names = _columns(statement)
        return [_decode(dict(zip(names, row, strict=True)))
                for row in self.rows(statement, *params)]

    def person(self, staff_id: str | None) -> Person | None:
        if staff_id is None:
            return None
        if staff_id not in self._people:
            rows = self.raw("SELECT name, left_on FROM {d}staff WHERE staff_id = %s",
                            (staff_id,))
            name, left_on = rows[0] if rows else (None, None)
            self._people[staff_id] = Person(id=staff_id, name=name,
                                           left=has_left(left_on, self.today))
        return self._people[staff_id]

    def holders(self) -> list[Holder]:
        rows = self.rows("SELECT staff_id, since, reason, handover_note, previous_staff_id "
                         "FROM {o}holders WHERE company_id = %s ORDER BY position DESC")
        return [Holder(person=self.person(r[0]) or Person(id=r[0], name=None, left=False),
                       since=r[1], reason=r[2], handover_note=r[3], previous=self.person(r[4]))
                for r in rows]

    def last_contact(self) -> Contact | None:
        rows = self.rows("SELECT staff_id, unit, channel, occurred_at, summary FROM "
                         "{o}contacts WHERE company_id = %s ORDER BY occurred_at DESC LIMIT 1")
        if not rows:
            return None
        staff, unit, channel, occurred_at, summary = rows[0]
        person = self.person(staff) or Person(id=staff, name=None, left=False)
        return Contact(person=person, unit=unit, channel=channel, occurred_at=occurred_at,
                       summary=summary)

    def coordination(self, now: datetime, cap: int | None,
                     holders: list[Holder]) -> Coordination:
        owner = holders[0].person.id if holders else ""
        [(month, people, week, others)] = self.raw(
            "SELECT COUNT(*), COUNT(DISTINCT staff_id), "
            "COALESCE(SUM(CASE WHEN occurred_at >= %s THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN staff_id <> %s THEN 1 ELSE 0 END), 0) "
            "FROM {o}contacts WHERE company_id = %s AND occurred_at >= %s",
            (_utc_text(now - timedelta(days=7)), owner, self.stream,
             _utc_text(now - timedelta(days=30))))
        month_cap = cap or DEFAULT_CONTACT_CAP
        warning = None
        if month > month_cap:
            own = "its own" if cap else "the default"
            warning = (f"{month} contacts in 30 days from {people} people: "
                       f"more than {own} cap of {month_cap} a month")
        return Coordination(
            contacts_7_days=int(week), contacts_30_days=int(month),
            distinct_actors_30_days=int(people), from_others_30_days=int(others),
            cap_per_month=month_cap, cap_is_companys_own=cap is not None, warning=warning)

    def placements(self) -> list[dict[str, Any]]:
        return self.dicts(
            "SELECT p.placement_id, p.candidate_id, p.kind, p.hours_per_week, p.starts_on, "
            "(SELECT MIN(f.due_on) FROM {o}follow_ups f WHERE f.placement_id = p.placement_id "
            "AND f.status IS NULL) AS next_follow_up FROM {o}placements p "
            "WHERE p.company_id = %s AND p.ended_on IS NULL ORDER BY p.starts_on")

    def follow_ups(self, condition: str, *params: Any) -> list[dict[str, Any]]:
        return self.dicts("SELECT f.follow_up_id, f.placement_id, f.due_on, f.scheduled_by "
                          "FROM {o}follow_ups f WHERE f.company_id = %s AND f.status IS NULL "
                          + condition + " ORDER BY f.due_on", *params)

    def commitments(self) -> list[dict[str, Any]]:
        return self.dicts(
            "SELECT c.commitment_id, c.description, c.target_hires, c.by_date, c.agreed_on, "
            "(SELECT COUNT(*) FROM {o}placements p WHERE p.company_id = c.company_id "
            "AND p.starts_on >= c.agreed_on AND p.starts_on <= c.by_date) AS actual_hires "
            "FROM {o}commitments c WHERE c.company_id = %s ORDER BY c.by_date")


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
    for flag in ("health_clarified", "motivation_clarified"):
        if flag in row:
            row[flag] = bool(row[flag])
    return row


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
