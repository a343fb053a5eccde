"""Use cases of outcome contracts: each builds the Command that changes the contract."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.contract import OutcomeContract
from domain.errors import ContractNotFoundError, DuplicateIdError
from domain.programme import DEFAULT_SCOPE
from domain.rules import Rules
from infra.municipalities import municipalities
from services.write.command import Command, IdempotencyClaim, Reader, on_existing


def agree_contract(
    *,
    contract_id: UUID,
    municipality: str,
    name: str,
    period_from: date,
    period_to: date,
    rules: Rules,
    by: UUID,
    counterparty: tuple[str, str] | None = None,
    target_group: str | None = None,
    scope: str = DEFAULT_SCOPE,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Record a new outcome contract under a new id; `counterparty` is the paid actor's
    (name, CVR)."""

    def decide(current: Aggregate | None, _: Reader) -> tuple[Aggregate, dict[str, Any]]:
        if current is not None:
            raise DuplicateIdError(f"contract {contract_id} exists already")
        contract = OutcomeContract.agree(
            contract_id=contract_id,
            municipality=municipality,
            name=name,
            period_from=period_from,
            period_to=period_to,
            rules=rules,
            by=by,
            municipalities=municipalities(),
            counterparty=counterparty,
            target_group=target_group,
            scope=scope,
        )
        return contract, {"id": str(contract_id)}

    return Command(contract_id, decide, expected_version, claim)


def _on_contract(
    contract_id: UUID,
    action: Callable[[OutcomeContract], None],
    answer_id: UUID,
    claim: IdempotencyClaim | None,
    expected_version: int | None,
) -> Command:
    """A command on an existing contract; it answers with `answer_id`."""

    def not_found() -> ContractNotFoundError:
        return ContractNotFoundError(f"no outcome contract {contract_id} was recorded")

    return on_existing(
        OutcomeContract,
        contract_id,
        not_found,
        lambda c, _: action(c),
        {"id": str(answer_id)},
        claim=claim,
        expected_version=expected_version,
    )


def amend_contract(
    *,
    contract_id: UUID,
    rules: Rules,
    by: UUID,
    today: date,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """New rules from their `effective_from` (today or later): the past is never rewritten."""
    return _on_contract(
        contract_id,
        lambda c: c.amend(rules=rules, by=by, today=today),
        contract_id,
        claim,
        expected_version,
    )


def issue_invoice(
    *,
    contract_id: UUID,
    invoice_id: UUID,
    period_from: date,
    period_to: date,
    computed_on: date,
    position: int,
    digest: str,
    lines: list[dict[str, Any]],
    by: UUID,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Record an invoice under a new id, as prepared from the log at `position`."""
    return _on_contract(
        contract_id,
        lambda c: c.issue_invoice(
            invoice_id=invoice_id,
            period_from=period_from,
            period_to=period_to,
            computed_on=computed_on,
            position=position,
            digest=digest,
            lines=lines,
            by=by,
        ),
        invoice_id,
        claim,
        expected_version,
    )


def dispute_invoice(
    *,
    contract_id: UUID,
    invoice_id: UUID,
    dispute_id: UUID,
    keys: list[str],
    reason: str,
    by: UUID,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Dispute lines of an invoice of the contract (all of them when `keys` is empty)."""
    return _on_contract(
        contract_id,
        lambda c: c.dispute(
            invoice_id=invoice_id,
            dispute_id=dispute_id,
            keys=keys,
            reason=reason,
            by=by,
        ),
        dispute_id,
        claim,
        expected_version,
    )


def resolve_dispute(
    *,
    contract_id: UUID,
    dispute_id: UUID,
    outcome: str,
    note: str,
    by: UUID,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """End a dispute: `upheld` (the payment stands) or `recovered` (the money comes back)."""
    return _on_contract(
        contract_id,
        lambda c: c.resolve_dispute(
            dispute_id=dispute_id,
            outcome=outcome,
            note=note,
            by=by,
        ),
        dispute_id,
        claim,
        expected_version,
    )
