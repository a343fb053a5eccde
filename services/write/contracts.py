"""Use cases of outcome contracts: each builds the Command that changes the contract."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.contract import OutcomeContract
from domain.errors import ContractNotFoundError, DuplicateIdError
from domain.rules import Rules
from infra.municipalities import municipalities
from services.write.command import Command, IdempotencyClaim, Reader


def agree_contract(
    *, contract_id: UUID, municipality: str, name: str, period_from: date, period_to: date,
    rules: Rules, by: UUID, claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Record a new outcome contract under a new id."""

    def decide(current: Aggregate | None, _: Reader) -> tuple[Aggregate, dict[str, Any]]:
        if current is not None:
            raise DuplicateIdError(f"contract {contract_id} exists already")
        contract = OutcomeContract.agree(
            contract_id=contract_id, municipality=municipality, name=name,
            period_from=period_from, period_to=period_to, rules=rules, by=by,
            municipalities=municipalities())
        return contract, {"id": str(contract_id)}

    return Command(contract_id, decide, expected_version, claim)


def contract_command(
    contract_id: UUID, action: Callable[[OutcomeContract], None], answer_id: UUID, *,
    expected_version: int | None = None, claim: IdempotencyClaim | None = None,
) -> Command:
    """A command on an existing contract; it answers with `answer_id`."""

    def decide(current: Aggregate | None, _: Reader) -> tuple[Aggregate, dict[str, Any]]:
        if not isinstance(current, OutcomeContract):
            raise ContractNotFoundError(f"no outcome contract {contract_id} was recorded")
        action(current)
        return current, {"id": str(answer_id)}

    return Command(contract_id, decide, expected_version, claim)
