"""Use cases of staff members: each builds the Command that changes one member's stream."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DuplicateIdError, StaffNotFoundError
from domain.staff import StaffMember
from domain.values import StaffRole, Unit
from infra.municipalities import municipalities
from services.write.command import Command, IdempotencyClaim, Reader, on_existing


def join_staff(
    *,
    staff_id: UUID,
    name: str,
    municipality: str,
    unit: Unit,
    role: StaffRole,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Register a member of staff under a new id."""

    def decide(current: Aggregate | None, reader: Reader) -> tuple[Aggregate, dict[str, Any]]:
        if current is not None:
            raise DuplicateIdError(f"staff member {staff_id} exists already")
        member = StaffMember.join(
            staff_id=staff_id,
            name=name,
            municipality=municipality,
            unit=unit,
            role=role,
            municipalities=municipalities(),
        )
        return member, {"id": str(staff_id)}

    return Command(staff_id, decide, expected_version, claim)


def _on_member(
    staff_id: UUID,
    action: Callable[[StaffMember], None],
    claim: IdempotencyClaim | None,
    expected_version: int | None,
) -> Command:
    """A command on an existing member of staff; it answers with their id."""

    def not_found() -> StaffNotFoundError:
        return StaffNotFoundError(f"staff member {staff_id} not found")

    return on_existing(
        StaffMember,
        staff_id,
        not_found,
        lambda m, _: action(m),
        {"id": str(staff_id)},
        claim=claim,
        expected_version=expected_version,
    )


def move(
    *,
    staff_id: UUID,
    municipality: str,
    unit: Unit,
    role: StaffRole,
    moved_on: date,
    now: datetime,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Record that a member of staff moved to another municipality, unit or role."""
    return _on_member(
        staff_id,
        lambda m: m.move(
            municipality=municipality,
            unit=unit,
            role=role,
            moved_on=moved_on,
            municipalities=municipalities(),
            now=now,
        ),
        claim,
        expected_version,
    )


def leave(
    *,
    staff_id: UUID,
    left_on: date,
    reason: str,
    now: datetime,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Record that a member of staff left."""
    return _on_member(
        staff_id,
        lambda m: m.leave(left_on=left_on, reason=reason, now=now),
        claim,
        expected_version,
    )
