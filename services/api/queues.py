"""Work lists for consultants and team leads: caseloads, the handover queue, follow-ups."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from domain.errors import StaffNotFoundError
from services.api.overview import OPEN_FOLLOW_UPS
from services.api.reads import Person, has_left
from services.http.access import (
    READERS,
    Scope,
    allow,
    in_clause,
    require_self_or,
    visible_municipalities,
)
from services.http.auth import Principal, Role
from services.http.deps import Svc
from services.http.reading import ViewsAt, reading

router = APIRouter(tags=["reads"])
Municipality = Annotated[str | None, Query(pattern=r"^\d{3}$")]
Both = Annotated[ViewsAt, Depends(reading("overview", "directory"))]
# Open work per company: (openings, referrals awaiting an answer, people in placement,
# follow-ups not held), from the company's counters and its open follow-ups per due date,
# as the overview's totals are (no row of a list is counted).
_OPEN_WORK = "c.open_openings_total, c.referrals_in_flight_total, c.in_placement_total, " \
    + OPEN_FOLLOW_UPS.format(o="{o}", company="c.company_id", dated="")


class OpenWork(BaseModel):
    open_openings: int
    referrals_in_flight: int
    in_placement: int
    follow_ups_open: int


class CaseloadCompany(BaseModel):
    cvr: str
    name: str
    contact_since: str | None
    last_contact_at: str | None
    open_work: OpenWork


class Caseload(BaseModel):
    person: Person
    companies: list[CaseloadCompany]


class Orphan(BaseModel):
    cvr: str
    name: str
    municipality: str
    left_person: Person
    left_on: str
    open_work: OpenWork


class DueFollowUp(BaseModel):
    cvr: str
    company: str
    follow_up_id: str
    placement_id: str
    due_on: str
    overdue: bool


class PersonsFollowUps(BaseModel):
    person: Person | None
    follow_ups: list[DueFollowUp]


def _work(row: tuple[Any, ...]) -> OpenWork:
    return OpenWork(open_openings=row[0], referrals_in_flight=row[1], in_placement=row[2],
                    follow_ups_open=row[3])


@router.get("/staff/{staff_id}/caseload")
def caseload(staff_id: UUID, services: Svc,
             who: Annotated[Principal, allow(*READERS, scope=Scope.STAFF)],
             at: Both) -> Caseload:
    """The companies this person is the contact person of, with their open work."""
    require_self_or(who, staff_id, Role.TEAM_LEAD, Role.AUDITOR)
    o = at.prefix("overview")
    d = at.prefix("directory")
    staff = services.views.query(f"SELECT name, left_on FROM {d}staff WHERE staff_id = %s",
                                 (str(staff_id),))
    if not staff:
        raise StaffNotFoundError(f"staff member {staff_id} not found")
    rows = services.views.query(
        f"SELECT c.cvr, c.name, c.contact_since, (SELECT MAX(x.occurred_at) FROM {o}contacts x "
        "WHERE x.company_id = c.company_id), " + _OPEN_WORK.format(o=o)
        + f" FROM {o}companies c WHERE c.contact_person = %s ORDER BY c.name",
        (str(staff_id),))
    return Caseload(
        person=Person(id=str(staff_id), name=staff[0][0],
                      left=has_left(staff[0][1], services.clock().date())),
        companies=[CaseloadCompany(cvr=r[0], name=r[1], contact_since=r[2],
                                   last_contact_at=r[3], open_work=_work(r[4:]))
                   for r in rows])


@router.get("/handover-queue")
def handover_queue(services: Svc,
                   who: Annotated[Principal, allow(Role.TEAM_LEAD, Role.AUDITOR)],
                   at: Both, municipality: Municipality = None) -> list[Orphan]:
    """Companies whose contact person has left, longest waiting first, with open work."""
    o = at.prefix("overview")
    d = at.prefix("directory")
    # Gone means gone by today: a departure dated later leaves the company with its
    # contact person until that day.
    clause, codes = in_clause("c.municipality", visible_municipalities(who, municipality))
    where, params = f" AND {clause}", [services.clock().date().isoformat(), *codes]
    rows = services.views.query(
        "SELECT c.cvr, c.name, c.municipality, s.staff_id, s.name, s.left_on, "
        + _OPEN_WORK.format(o=o)
        + f" FROM {o}companies c JOIN {d}staff s ON s.staff_id = c.contact_person "
        f"WHERE s.left_on IS NOT NULL AND s.left_on <= %s{where} ORDER BY s.left_on, c.name",
        params)
    return [Orphan(cvr=r[0], name=r[1], municipality=r[2],
                   left_person=Person(id=r[3], name=r[4], left=True), left_on=r[5],
                   open_work=_work(r[6:])) for r in rows]


@router.get("/follow-ups/due")
def follow_ups_due(
    services: Svc,
    who: Annotated[Principal, allow(*READERS)],
    at: Both, municipality: Municipality = None,
    days: Annotated[int, Query(ge=0, le=365, description="due within this many days")] = 14,
) -> list[PersonsFollowUps]:
    """Follow-ups not yet held and due soon, per contact person, overdue first."""
    o = at.prefix("overview")
    d = at.prefix("directory")
    today = services.clock().date()
    clause, codes = in_clause("c.municipality", visible_municipalities(who, municipality))
    where, params = f" AND {clause}", [(today + timedelta(days=days)).isoformat(), *codes]
    if who.role is Role.CONSULTANT:  # a consultant's own follow-ups only
        where += " AND c.contact_person = %s"
        params.append(who.subject)
    rows = services.views.query(
        "SELECT c.contact_person, s.name, s.left_on, c.cvr, c.name, f.follow_up_id, "
        f"f.placement_id, f.due_on FROM {o}follow_ups f JOIN {o}companies c "
        f"ON c.company_id = f.company_id LEFT JOIN {d}staff s ON s.staff_id = c.contact_person "
        f"WHERE f.status IS NULL AND f.due_on <= %s{where} ORDER BY f.due_on, c.name", params)
    people: dict[str | None, PersonsFollowUps] = {}
    for r in rows:
        person = Person(id=r[0], name=r[1], left=has_left(r[2], today)) if r[0] else None
        entry = people.setdefault(r[0], PersonsFollowUps(person=person, follow_ups=[]))
        entry.follow_ups.append(DueFollowUp(cvr=r[3], company=r[4], follow_up_id=r[5],
                                            placement_id=r[6], due_on=r[7],
                                            overdue=r[7] < today.isoformat()))
    return list(people.values())
