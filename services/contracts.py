"""Use cases of outcome contracts: each builds the Command that changes the contract."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.contract import OutcomeContract
from domain.errors import ContractNotFoundError, DuplicateIdError
from domain.rules import Rules
from infra.municipalities import municipalities
from services.application import CasebookApplication
from services.command import Command, IdempotencyClaim, Reader
from services.ledger import evaluate_contract
from services.seal import Sealer
from services.views import ViewDb


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


@dataclass(frozen=True)
class PreparedInvoice:
    """An invoice computed from the sealed log, for the contract at `version`."""

    version: int
    position: int
    digest: str
    lines: list[dict[str, Any]]
    computed_on: date


def prepare_invoice(app: CasebookApplication, views: ViewDb, contract_id: UUID,
                    period: tuple[date, date], today: date, *, postgres: bool
                    ) -> PreparedInvoice:
    """Seal the log to its end, then compute the invoice's lines at that position."""
    position, digest = Sealer(app, views, postgres=postgres).seal_all()
    evaluation = evaluate_contract(app, contract_id, stop=position, today=today)
    return PreparedInvoice(evaluation.contract.version, position, digest,
                           evaluation.invoice_lines(period), today)
