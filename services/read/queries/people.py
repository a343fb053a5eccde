"""People as the reads show them: named (even after they left) and whether they left."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel

from projections import directory
from services.read.db import ProjectionDb
from services.read.projections_at import ProjectionsAt


class Person(BaseModel):
    id: str
    name: str | None
    left: bool


class StaffPerson(Person):
    """A person with the unit they work in as the directory has it now (`job_centre`,
    `business_unit` or `contracted_provider`; None if the directory does not know them)."""

    unit: str | None


class StaffMember(BaseModel):
    """A staff member of a municipality, as a list of staff shows them."""

    id: str
    name: str
    municipality: str
    role: str = ""
    left: bool = False


def has_left(left_on: str | None, today: date) -> bool:
    """Whether a departure dated `left_on` has happened by `today`."""
    return left_on is not None and left_on <= today.isoformat()


def person(
    staff_id: str | None, name: str | None, left_on: str | None, today: date
) -> Person | None:
    """The person with this id, name and departure date; None if no id."""
    return Person(id=staff_id, name=name, left=has_left(left_on, today)) if staff_id else None


def staff_person(
    staff_id: str, name: str | None, left_on: str | None, unit: str | None, today: date
) -> StaffPerson:
    """The person with this id, name, departure date and unit."""
    return StaffPerson(id=staff_id, name=name, left=has_left(left_on, today), unit=unit)


def staff_of(at: ProjectionsAt, municipality: str) -> list[StaffMember]:
    """The municipality's staff by name, those who left too (`left`: whether they have
    a departure recorded at all, dated or not)."""
    rows = at.query(directory.staff_of(at.prefix("directory"), municipality))
    return [
        StaffMember(id=r[0], name=r[1], municipality=municipality, left=r[2] is not None)
        for r in rows
    ]


def current_staff(at: ProjectionsAt, municipalities: Sequence[str]) -> list[StaffMember]:
    """The staff of these municipalities who have not left, by name."""
    if not municipalities:
        return []
    rows = at.query(directory.current_staff(at.prefix("directory"), municipalities))
    return [StaffMember(id=r[0], name=r[1], municipality=r[2]) for r in rows]


def everyone_current(at: ProjectionsAt) -> list[StaffMember]:
    """Every staff member who has not left, by municipality and name, with their role."""
    rows = at.query(directory.everyone_current(at.prefix("directory")))
    return [StaffMember(id=r[0], name=r[1], role=r[2], municipality=r[3]) for r in rows]


def name_of(at: ProjectionsAt, staff_id: str) -> str | None:
    """The staff member's name; None if unknown or the directory is not made yet."""
    d = at.prefix_if_any("directory")
    rows = at.query(directory.staff_member(d, staff_id)) if d is not None else []
    return str(rows[0][0]) if rows else None


def first_current(views: ProjectionDb, municipality: str) -> str | None:
    """The id of the municipality's first staff member by name who has not left; None
    if there is none (or the directory is not made yet)."""
    at = ProjectionsAt(views)
    d = at.prefix_if_any("directory")
    rows = at.query(directory.first_current(d, municipality)) if d is not None else []
    return str(rows[0][0]) if rows else None
