"""The OutcomeContract aggregate: payment by results for one municipality and period.

Its stream holds the rules (agreed, then amended from dates), every invoice
with the log position and digest it was computed at, and the disputes.
Nothing is edited: a wrong invoice is corrected by a later one.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import (
    ContractPeriodError,
    DisputeAlreadyResolvedError,
    DisputeNotFoundError,
    InvalidValue,
    InvoiceNotFoundError,
    NothingToInvoiceError,
    UnknownMunicipalityError,
)
from domain.ledger import Books, DisputeRecord, InvoiceRecord
from domain.programme import DEFAULT_SCOPE, require_scope, require_target_group
from domain.rules import RuleBook, Rules
from domain.values import normalise_cvr

TOPIC_PREFIX = "casebook:OutcomeContract."  # stored topics: stable whatever the class is called
DISPUTE_OUTCOMES = ("upheld", "recovered")


class OutcomeContract(Aggregate):
    """An outcome contract: rules as data, invoices, disputes."""

    TOPIC = "casebook:OutcomeContract"

    class Event(Aggregate.Event):
        TOPIC = TOPIC_PREFIX + "Event"

    class Agreed(Aggregate.Created):
        """The municipality agreed to pay an actor (the counterparty) per outcome under
        these rules, for every placement in the municipality or only for the companies
        taking part in its programme (`scope`).

        Version 2 added the counterparty, the target group and the scope; a version 1
        event (recorded before) reads as no counterparty, no target group and scope
        "municipality", which is what such a contract always meant.
        """

        TOPIC = TOPIC_PREFIX + "Agreed"
        class_version = 2
        municipality: str
        name: str
        period_from: date
        period_to: date
        rules: dict[str, Any]
        by: UUID
        counterparty_name: str | None
        counterparty_cvr: str | None
        target_group: str | None
        scope: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(
                counterparty_name=None,
                counterparty_cvr=None,
                target_group=None,
                scope=DEFAULT_SCOPE,
            )

        def apply(self, c: OutcomeContract) -> None:
            c.municipality, c.name = self.municipality, self.name
            c.period_from, c.period_to = self.period_from, self.period_to
            c.rule_versions = [Rules.from_data(self.rules)]
            c.books = Books()
            c.counterparty_name, c.counterparty_cvr = self.counterparty_name, self.counterparty_cvr
            c.target_group, c.scope = self.target_group, self.scope

    class Amended(Event):
        """New rules take effect from their `effective_from` date."""

        TOPIC = TOPIC_PREFIX + "Amended"
        rules: dict[str, Any]
        by: UUID

        def apply(self, c: OutcomeContract) -> None:
            c.rule_versions.append(Rules.from_data(self.rules))

    class InvoiceIssued(Event):
        """An invoice computed from the log up to `position`, whose digest was `digest`."""

        TOPIC = TOPIC_PREFIX + "InvoiceIssued"
        invoice_id: UUID
        period_from: date
        period_to: date
        computed_on: date
        position: int
        digest: str
        lines: list[dict[str, Any]]
        total_ore: int
        by: UUID

        def apply(self, c: OutcomeContract) -> None:
            c.books.invoices[self.invoice_id] = InvoiceRecord(
                self.invoice_id,
                self.period_from,
                self.period_to,
                self.computed_on,
                self.position,
                self.digest,
                tuple(self.lines),
                self.total_ore,
            )

    class InvoiceDisputed(Event):
        """Lines of an invoice are disputed."""

        TOPIC = TOPIC_PREFIX + "InvoiceDisputed"
        invoice_id: UUID
        dispute_id: UUID
        keys: list[str]
        reason: str
        by: UUID

        def apply(self, c: OutcomeContract) -> None:
            c.books.disputes[self.dispute_id] = DisputeRecord(
                self.dispute_id, self.invoice_id, tuple(self.keys), self.reason
            )

    class DisputeResolved(Event):
        """The dispute ended: the payment is upheld, or the money recovered."""

        TOPIC = TOPIC_PREFIX + "DisputeResolved"
        invoice_id: UUID
        dispute_id: UUID
        outcome: str
        note: str
        by: UUID

        def apply(self, c: OutcomeContract) -> None:
            dispute = c.books.disputes[self.dispute_id]
            dispute.outcome, dispute.note = self.outcome, self.note

    if TYPE_CHECKING:  # state set by the events; not dataclass fields
        municipality: str
        name: str
        period_from: date
        period_to: date
        rule_versions: list[Rules]
        books: Books
        counterparty_name: str | None
        counterparty_cvr: str | None
        target_group: str | None
        scope: str

    @property
    def rule_book(self) -> RuleBook:
        """Every version of the rules."""
        return RuleBook(self.rule_versions)

    # --- commands -------------------------------------------------------

    @classmethod
    def agree(
        cls,
        *,
        contract_id: UUID,
        municipality: str,
        name: str,
        period_from: date,
        period_to: date,
        rules: Rules,
        by: UUID,
        municipalities: Collection[str],
        counterparty: tuple[str, str] | None = None,
        target_group: str | None = None,
        scope: str = DEFAULT_SCOPE,
    ) -> OutcomeContract:
        """Record a contract; its first rules apply from the start of its period.

        `counterparty` is the paid actor's (name, CVR)."""
        if municipality not in municipalities:
            raise UnknownMunicipalityError(f"unknown municipality code {municipality!r}")
        if not name.strip():
            raise InvalidValue("name must not be blank")
        if period_to < period_from:
            raise ContractPeriodError("period_to lies before period_from")
        rules.validate()
        payee: tuple[str | None, str | None] = (None, None)
        if counterparty is not None:
            if not counterparty[0].strip():
                raise InvalidValue("counterparty.name must not be blank")
            payee = (counterparty[0].strip(), normalise_cvr(counterparty[1]))
        return cls._create(
            cls.Agreed,
            id=contract_id,
            municipality=municipality,
            name=name.strip(),
            period_from=period_from,
            period_to=period_to,
            rules=rules.to_data(),
            by=by,
            counterparty_name=payee[0],
            counterparty_cvr=payee[1],
            target_group=require_target_group(target_group),
            scope=require_scope(scope),
        )

    @property
    def is_programme(self) -> bool:
        """Whether only the companies taking part in its programme count."""
        return self.scope == "programme"

    def amend(self, *, rules: Rules, by: UUID, today: date) -> None:
        """New rules from a date; never before today, so the past is never rewritten."""
        rules.validate()
        if rules.effective_from < today:
            raise ContractPeriodError(
                f"an amendment takes effect from today ({today.isoformat()}) or later, "
                f"not {rules.effective_from.isoformat()}"
            )
        self.trigger_event(self.Amended, rules=rules.to_data(), by=by)

    def issue_invoice(
        self,
        *,
        invoice_id: UUID,
        period_from: date,
        period_to: date,
        computed_on: date,
        position: int,
        digest: str,
        lines: list[dict[str, Any]],
        by: UUID,
    ) -> None:
        """Record an invoice computed elsewhere from the log (see domain.ledger)."""
        if period_to < period_from:
            raise ContractPeriodError("period_to lies before period_from")
        if not lines:
            raise NothingToInvoiceError(
                f"nothing to invoice for {period_from.isoformat()} to {period_to.isoformat()}:"
                " no claimable milestone and no correction is due"
            )
        self.trigger_event(
            self.InvoiceIssued,
            invoice_id=invoice_id,
            period_from=period_from,
            period_to=period_to,
            computed_on=computed_on,
            position=position,
            digest=digest,
            lines=lines,
            total_ore=sum(int(line["amount_ore"]) for line in lines),
            by=by,
        )

    def dispute(
        self, *, invoice_id: UUID, dispute_id: UUID, keys: list[str], reason: str, by: UUID
    ) -> None:
        """Dispute lines of an invoice (all of them when `keys` is empty)."""
        invoice = self.books.invoices.get(invoice_id)
        if invoice is None:
            raise InvoiceNotFoundError(f"contract {self.id} has no invoice {invoice_id}")
        on_invoice = [line["key"] for line in invoice.lines]
        unknown = sorted(set(keys) - set(on_invoice))
        if unknown:
            raise InvalidValue(f"not lines of invoice {invoice_id}: {', '.join(unknown)}")
        if not reason.strip():
            raise InvalidValue("reason must not be blank")
        self.trigger_event(
            self.InvoiceDisputed,
            invoice_id=invoice_id,
            dispute_id=dispute_id,
            keys=sorted(set(keys or on_invoice)),
            reason=reason.strip(),
            by=by,
        )

    def resolve_dispute(self, *, dispute_id: UUID, outcome: str, note: str, by: UUID) -> None:
        """End a dispute: upheld (the payment stands) or recovered (the money comes back)."""
        dispute = self.books.disputes.get(dispute_id)
        if dispute is None:
            raise DisputeNotFoundError(f"contract {self.id} has no dispute {dispute_id}")
        if dispute.outcome is not None:
            raise DisputeAlreadyResolvedError(
                f"dispute {dispute_id} was resolved already ({dispute.outcome})"
            )
        if outcome not in DISPUTE_OUTCOMES:
            raise InvalidValue(f"outcome must be one of {', '.join(DISPUTE_OUTCOMES)}")
        self.trigger_event(
            self.DisputeResolved,
            invoice_id=dispute.invoice_id,
            dispute_id=dispute_id,
            outcome=outcome,
            note=note,
            by=by,
        )
