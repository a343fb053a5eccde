"""Use cases: each builds the Command that changes one stream."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.company import Company
from domain.errors import (
    CompanyAlreadyRegisteredError,
    CompanyNotFoundError,
    DuplicateIdError,
    StaffNotFoundError,
)
from domain.parts import Actor
from domain.staff import StaffMember
from domain.values import StaffRole, Unit, company_id, normalise_cvr
from infra.municipalities import municipalities
from services.write.command import Command, IdempotencyClaim, Reader

CompanyAction = Callable[[Company, Actor, Reader], None]


def company_command(
    cvr: str, by: UUID, action: CompanyAction, body: dict[str, Any] | None = None,
    *, expected_version: int | None = None, claim: IdempotencyClaim | None = None,
) -> Command:
    """A command on the company with this CVR, recorded for staff member `by`."""
    cvr = normalise_cvr(cvr)

    def decide(current: Aggregate | None, reader: Reader) -> tuple[Aggregate, dict[str, Any]]:
        if not isinstance(current, Company):
            raise CompanyNotFoundError(f"no company with CVR {cvr} is registered")
        action(current, reader.staff(by).as_actor(), reader)
        return current, {"cvr": cvr, **(body or {})}

    return Command(company_id(cvr), decide, expected_version, claim)


def register_company(
    *, cvr: str, name: str, municipality: str, industry: str, by: UUID,
    claim: IdempotencyClaim | None = None, expected_version: int | None = None,
) -> Command:
    """Register a company; its stream id follows from the CVR."""
    cvr = normalise_cvr(cvr)

    def decide(current: Aggregate | None, reader: Reader) -> tuple[Aggregate, dict[str, Any]]:
        if current is not None:
            raise CompanyAlreadyRegisteredError(f"a company with CVR {cvr} is registered")
        company = Company.register(
            cvr=cvr, name=name, municipality=municipality, industry=industry,
            by=reader.staff(by).as_actor(), municipalities=municipalities(),
        )
        return company, {"cvr": cvr}

    return Command(company_id(cvr), decide, expected_version, claim)


def join_staff(
    *, staff_id: UUID, name: str, municipality: str, unit: Unit, role: StaffRole,
    claim: IdempotencyClaim | None = None, expected_version: int | None = None,
) -> Command:
    """Register a member of staff under a new id."""

    def decide(current: Aggregate | None, reader: Reader) -> tuple[Aggregate, dict[str, Any]]:
        if current is not None:
            raise DuplicateIdError(f"staff member {staff_id} exists already")
        member = StaffMember.join(
            staff_id=staff_id, name=name, municipality=municipality, unit=unit, role=role,
            municipalities=municipalities(),
        )
        return member, {"id": str(staff_id)}

    return Command(staff_id, decide, expected_version, claim)


def staff_command(
    staff_id: UUID, action: Callable[[StaffMember], None], *,
    expected_version: int | None = None, claim: IdempotencyClaim | None = None,
) -> Command:
    """A command on an existing member of staff."""

    def decide(current: Aggregate | None, reader: Reader) -> tuple[Aggregate, dict[str, Any]]:
        if not isinstance(current, StaffMember):
            raise StaffNotFoundError(f"staff member {staff_id} not found")
        action(current)
        return current, {"id": str(staff_id)}

    return Command(staff_id, decide, expected_version, claim)


def leave(staff_id: UUID, *, left_on: date, reason: str, now: datetime,
          claim: IdempotencyClaim | None = None,
          expected_version: int | None = None) -> Command:
    """Record that a member of staff left."""
    return staff_command(
        staff_id, lambda s: s.leave(left_on=left_on, reason=reason, now=now),
        expected_version=expected_version, claim=claim,
    )
