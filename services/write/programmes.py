"""Use cases of a programme contract's participants: each changes the company's own
stream (a company's participation is part of its history), told by the contract."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.company import Company
from domain.contract import OutcomeContract
from domain.errors import CompanyNotFoundError, NotAProgrammeError
from domain.values import company_id, normalise_cvr
from services.write.command import Command, IdempotencyClaim, on_existing


@dataclass(frozen=True)
class Programme:
    """What joining a programme needs to know of its contract (none of it ever changes)."""

    contract_id: UUID
    name: str
    municipality: str
    period: tuple[date, date]


def programme_of(contract: OutcomeContract) -> Programme:
    """The contract's programme, if only its participating companies count."""
    if not contract.is_programme:
        raise NotAProgrammeError(
            f"contract {contract.id} counts every placement in municipality "
            f"{contract.municipality} (scope municipality): it has no participants"
        )
    return Programme(
        contract.id,
        contract.name,
        contract.municipality,
        (contract.period_from, contract.period_to),
    )


def _on_company(
    cvr: str,
    action: Callable[[Company], None],
    contract_id: UUID,
    claim: IdempotencyClaim | None,
    expected_version: int | None,
) -> Command:
    cvr = normalise_cvr(cvr)

    def not_found() -> CompanyNotFoundError:
        return CompanyNotFoundError(f"no company with CVR {cvr} is registered")

    return on_existing(
        Company,
        company_id(cvr),
        not_found,
        lambda company, _: action(company),
        {"cvr": cvr, "contract_id": str(contract_id)},
        claim=claim,
        expected_version=expected_version,
    )


def join_programme(
    *,
    programme: Programme,
    cvr: str,
    joined_on: date,
    by: UUID,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """The company takes part in the contract's programme from `joined_on`."""
    return _on_company(
        cvr,
        lambda c: c.join_programme(
            contract_id=programme.contract_id,
            programme=programme.name,
            municipality=programme.municipality,
            period=programme.period,
            joined_on=joined_on,
            by=by,
        ),
        programme.contract_id,
        claim,
        expected_version,
    )


def leave_programme(
    *,
    programme: Programme,
    cvr: str,
    left_on: date,
    by: UUID,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """`left_on` is the company's last day in the contract's programme."""
    return _on_company(
        cvr,
        lambda c: c.leave_programme(contract_id=programme.contract_id, left_on=left_on, by=by),
        programme.contract_id,
        claim,
        expected_version,
    )
