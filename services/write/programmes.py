"""Use cases of a programme contract's participants: each changes the company's own
stream (a company's participation is part of its history), told by the contract."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

from domain.company import Company
from domain.contract import OutcomeContract
from domain.errors import CompanyNotFoundError, NotAProgrammeError
from domain.values import company_id, normalise_cvr
from services.write.command import Command, IdempotencyClaim, on_existing


def require_programme(contract: OutcomeContract) -> OutcomeContract:
    """The contract, if only its participating companies count."""
    if not contract.is_programme:
        raise NotAProgrammeError(
            f"contract {contract.id} counts every placement in municipality "
            f"{contract.municipality} (scope municipality): it has no participants"
        )
    return contract


def _on_company(
    cvr: str,
    action: Callable[[Company], None],
    contract: OutcomeContract,
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
        {"cvr": cvr, "contract_id": str(contract.id)},
        claim=claim,
        expected_version=expected_version,
    )


def join_programme(
    *,
    contract: OutcomeContract,
    cvr: str,
    joined_on: date,
    by: UUID,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """The company takes part in the contract's programme from `joined_on`."""
    require_programme(contract)
    return _on_company(
        cvr,
        lambda c: c.join_programme(
            contract_id=contract.id,
            programme=contract.name,
            municipality=contract.municipality,
            period=(contract.period_from, contract.period_to),
            joined_on=joined_on,
            by=by,
        ),
        contract,
        claim,
        expected_version,
    )


def leave_programme(
    *,
    contract: OutcomeContract,
    cvr: str,
    left_on: date,
    by: UUID,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """`left_on` is the company's last day in the contract's programme."""
    require_programme(contract)
    return _on_company(
        cvr,
        lambda c: c.leave_programme(contract_id=contract.id, left_on=left_on, by=by),
        contract,
        claim,
        expected_version,
    )
