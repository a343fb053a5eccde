"""Work lists for consultants and team leads: caseloads, the handover queue, follow-ups."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from domain.errors import StaffNotFoundError
from projections import directory
from projections.overview import worklists
from services.read.projections_at import ProjectionsAt
from services.read.queries.people import Person, has_left

WORKLIST_VIEWS = ("overview", "directory")
"""The read models the work lists join."""


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
    programme: str | None = None  # the programme it takes part in now
    programme_since: str | None = None
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
    return OpenWork(
        open_openings=row[0],
        referrals_in_flight=row[1],
        in_placement=row[2],
        follow_ups_open=row[3],
    )


def caseload(at: ProjectionsAt, staff_id: UUID) -> Caseload:
    """The companies this person is the contact person of, with their open work."""
    o = at.prefix("overview")
    d = at.prefix("directory")
    staff = at.query(directory.staff_member(d, str(staff_id)))
    if not staff:
        raise StaffNotFoundError(f"staff member {staff_id} not found")
    rows = at.query(worklists.caseload(o, str(staff_id)))
    return Caseload(
        person=Person(id=str(staff_id), name=staff[0][0], left=has_left(staff[0][1], at.today())),
        companies=[
            CaseloadCompany(
                cvr=r[0],
                name=r[1],
                contact_since=r[2],
                last_contact_at=r[3],
                programme=r[4],
                programme_since=r[5],
                open_work=_work(r[6:]),
            )
            for r in rows
        ],
    )


def handover_queue(at: ProjectionsAt, municipalities: Sequence[str]) -> list[Orphan]:
    """The companies of `municipalities` whose contact person has left, longest waiting
    first, with open work."""
    o = at.prefix("overview")
    d = at.prefix("directory")
    rows = at.query(worklists.handover_queue(o, d, at.today().isoformat(), municipalities))
    return [
        Orphan(
            cvr=r[0],
            name=r[1],
            municipality=r[2],
            left_person=Person(id=r[3], name=r[4], left=True),
            left_on=r[5],
            open_work=_work(r[6:]),
        )
        for r in rows
    ]


def follow_ups_due(
    at: ProjectionsAt, municipalities: Sequence[str], days: int, contact_person: str | None = None
) -> list[PersonsFollowUps]:
    """Follow-ups not yet held and due within `days`, of the companies of
    `municipalities` (of one contact person's, if given), per contact person, overdue
    first."""
    o = at.prefix("overview")
    d = at.prefix("directory")
    today = at.today()
    rows = at.query(
        worklists.follow_ups_due(
            o, d, (today + timedelta(days=days)).isoformat(), municipalities, contact_person
        )
    )
    people: dict[str | None, PersonsFollowUps] = {}
    for r in rows:
        person = Person(id=r[0], name=r[1], left=has_left(r[2], today)) if r[0] else None
        entry = people.setdefault(r[0], PersonsFollowUps(person=person, follow_ups=[]))
        entry.follow_ups.append(
            DueFollowUp(
                cvr=r[3],
                company=r[4],
                follow_up_id=r[5],
                placement_id=r[6],
                due_on=r[7],
                overdue=r[7] < today.isoformat(),
            )
        )
    return list(people.values())
