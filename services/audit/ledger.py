"""The ledger and invoices of a contract, recomputed from the log alone.

Everything here reads the stored events (only the topics that decide outcomes),
up to a log position or as recorded by a time, and hands them to the pure
domain code. The same log up to the same position gives the same ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

from domain.contract import OutcomeContract
from domain.errors import ContractNotFoundError, InvoiceNotFoundError
from domain.facts import FACT_EVENTS, FactBook
from domain.ledger import LedgerEntry, invoice_lines, ledger
from domain.outcomes import Outcome, evaluate
from infra.clock import COPENHAGEN
from services.eventstore import CasebookApplication

CONTRACT_EVENTS: tuple[type[Any], ...] = (
    OutcomeContract.Agreed,
    OutcomeContract.Amended,
    OutcomeContract.InvoiceIssued,
    OutcomeContract.InvoiceDisputed,
    OutcomeContract.DisputeResolved,
)
TOPICS = [cls.TOPIC for cls in (*FACT_EVENTS, *CONTRACT_EVENTS)]
PAGE = 5000


@dataclass
class Evaluation:
    """A contract as the log told it at one point, and its outcomes on one day."""

    contract: OutcomeContract
    position: int  # the newest event folded in (of the topics that matter)
    today: date
    outcomes: list[Outcome]
    facts: FactBook

    def entries(self) -> list[LedgerEntry]:
        """The ledger: every milestone with its state."""
        return ledger(self.outcomes, self.contract.books, self.today)

    def invoice_lines(self, period: tuple[date, date]) -> list[dict[str, Any]]:
        """The lines an invoice for `period` would have now."""
        return invoice_lines(self.outcomes, self.contract.books, self.today, period)


def relevant_events(
    app: CasebookApplication, *, stop: int | None = None, topics: list[str] | None = None
) -> Iterator[tuple[int, Any]]:
    """(position, domain event) of the given topics, in log order, a page at a time."""
    for n in app.log_after(0, page=PAGE, stop=stop, topics=topics or TOPICS):
        yield n.id, app.mapper.to_domain_event(n)


def evaluate_contract(
    app: CasebookApplication,
    contract_id: UUID,
    *,
    stop: int | None = None,
    known_at: datetime | None = None,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> Evaluation:
    """Fold the log (up to `stop`, of what was recorded by `known_at`) into the ledger."""
    folded = fold_log(app, stop=stop, known_at=known_at, progress=progress, only=contract_id)
    contract = folded.contracts.get(contract_id)
    if contract is None:
        when = f" by {known_at.isoformat()}" if known_at else ""
        raise ContractNotFoundError(f"no outcome contract {contract_id} was recorded{when}")
    day = today or (known_at or datetime.now(COPENHAGEN)).astimezone(COPENHAGEN).date()
    return folded.evaluation(contract, day)


@dataclass
class Folded:
    """The contracts and placement facts of the log, up to `position`."""

    contracts: dict[UUID, OutcomeContract]
    facts: FactBook
    position: int

    def evaluation(self, contract: OutcomeContract, day: date) -> Evaluation:
        """The contract's outcomes on `day`."""
        placements = self.facts.facts(contract.municipality)
        if contract.is_programme:
            placements = self.facts.programme_facts(
                contract.municipality, contract.id, contract.rule_book
            )
        period = (contract.period_from, contract.period_to)
        outcomes = evaluate(placements, contract.rule_book, day, period)
        return Evaluation(contract, self.position, day, outcomes, self.facts)


def fold_log(
    app: CasebookApplication,
    *,
    stop: int | None = None,
    known_at: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    only: UUID | None = None,
) -> Folded:
    """Fold the topics that decide outcomes once: every contract (or `only` that one)
    and every company's placement facts."""
    contracts: dict[UUID, Any] = {}
    facts = FactBook()
    counted = 0  # the newest position folded in
    for n, (position, event) in enumerate(relevant_events(app, stop=stop)):
        if progress is not None and n % 10_000 == 0:
            progress(position)
        if known_at is not None and event.timestamp > known_at:
            continue
        counted = position
        if not isinstance(event, CONTRACT_EVENTS):
            facts.apply(event)
        elif only is None or event.originator_id == only:
            key = event.originator_id
            contracts[key] = event.mutate(contracts.get(key))
    return Folded(contracts, facts, counted)


# Invoices found, per application: an InvoiceIssued event never changes once stored, so
# an invoice found once is not searched for again (an unknown one is, it may come).
_FOUND: WeakKeyDictionary[CasebookApplication, dict[UUID, tuple[int, Any]]] = WeakKeyDictionary()


def find_invoice(app: CasebookApplication, invoice_id: UUID) -> tuple[int, Any]:
    """The InvoiceIssued event of this invoice and its position."""
    found = _FOUND.setdefault(app, {})
    if invoice_id in found:
        return found[invoice_id]
    for position, event in relevant_events(app, topics=[OutcomeContract.InvoiceIssued.TOPIC]):
        if event.invoice_id == invoice_id:
            found[invoice_id] = position, event
            return position, event
    raise InvoiceNotFoundError(f"no invoice {invoice_id}")
