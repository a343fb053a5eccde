"""The ledger of a contract: each outcome's state, and what a new invoice must say (pure).

An invoice is never changed. When a later evaluation disagrees with what was
invoiced (a placement was logged as ended earlier than was known), the next
invoice carries a correction line (credit or debit) for the difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from domain.outcomes import Outcome

STATES = ("reached", "claimable", "invoiced", "disputed", "upheld", "recovered")


@dataclass(frozen=True)
class InvoiceRecord:
    """An issued invoice as the contract's events recorded it."""

    invoice_id: UUID
    period_from: date
    period_to: date
    computed_on: date
    position: int
    digest: str
    lines: tuple[dict[str, Any], ...]
    total_ore: int


@dataclass
class DisputeRecord:
    """A dispute of some lines of an invoice; `outcome` and its `note` once resolved."""

    dispute_id: UUID
    invoice_id: UUID
    keys: tuple[str, ...]
    reason: str
    outcome: str | None = None
    note: str = ""


@dataclass
class Books:
    """What the contract has invoiced and what is disputed, in recording order."""

    invoices: dict[UUID, InvoiceRecord] = field(default_factory=dict)
    disputes: dict[UUID, DisputeRecord] = field(default_factory=dict)

    def net_invoiced(self) -> dict[str, int]:
        """Per outcome key, the sum of every invoice line (charges and corrections)."""
        net: dict[str, int] = {}
        for invoice in self.invoices.values():
            for line in invoice.lines:
                net[line["key"]] = net.get(line["key"], 0) + int(line["amount_ore"])
        return net

    def last_lines(self) -> dict[str, dict[str, Any]]:
        """Per outcome key, its latest invoice line."""
        return {line["key"]: line for i in self.invoices.values() for line in i.lines}

    def invoice_ids(self) -> dict[str, list[str]]:
        """Per outcome key, the invoices that carry a line for it."""
        found: dict[str, list[str]] = {}
        for invoice in self.invoices.values():
            for line in invoice.lines:
                found.setdefault(line["key"], []).append(str(invoice.invoice_id))
        return found

    def dispute_state(self) -> dict[str, str]:
        """Per disputed key: disputed (open), upheld or recovered (a recovery is final)."""
        state: dict[str, str] = {}
        for d in self.disputes.values():
            for key in d.keys:
                now = d.outcome or "disputed"
                if state.get(key) != "recovered":
                    state[key] = now
        return state


@dataclass(frozen=True)
class LedgerEntry:
    """One milestone of the ledger, with its state and the events that prove it."""

    outcome: Outcome | None  # None: invoiced once, no longer reached
    key: str
    state: str
    invoiced_ore: int
    invoices: tuple[str, ...]
    pending_correction_ore: int
    line: dict[str, Any] | None  # its latest invoice line, if any


def ledger(outcomes: list[Outcome], books: Books, today: date) -> list[LedgerEntry]:
    """Every reached (or once invoiced) milestone with its state as of `today`."""
    net, disputes, ids = books.net_invoiced(), books.dispute_state(), books.invoice_ids()
    last = books.last_lines()
    entries = []
    seen = set()
    for o in outcomes:
        seen.add(o.key)
        entries.append(
            _entry(o, o.key, o.amount_ore, o.claimable_on <= today, net, disputes, ids, last)
        )
    for key in sorted(set(net) - seen):
        entries.append(_entry(None, key, 0, True, net, disputes, ids, last))
    return entries


def _entry(
    o: Outcome | None,
    key: str,
    amount: int,
    claimable: bool,
    net: dict[str, int],
    disputes: dict[str, str],
    ids: dict[str, list[str]],
    last: dict[str, dict[str, Any]],
) -> LedgerEntry:
    if key in disputes:
        state = disputes[key]
    elif key in net:
        state = "invoiced"
    else:
        state = "claimable" if claimable else "reached"
    pending = 0
    if key in net and state not in ("recovered", "disputed"):
        pending = amount - net[key]
    return LedgerEntry(
        o, key, state, net.get(key, 0), tuple(ids.get(key, ())), pending, last.get(key)
    )


def invoice_lines(
    outcomes: list[Outcome], books: Books, today: date, period: tuple[date, date]
) -> list[dict[str, Any]]:
    """The lines of a new invoice: claimable milestones reached in `period` that were
    never invoiced, then a correction for every invoiced milestone whose worth changed."""
    net, disputes, last, ids = (
        books.net_invoiced(),
        books.dispute_state(),
        books.last_lines(),
        books.invoice_ids(),
    )
    current = {o.key: o for o in outcomes}
    lines = [
        _line("charge", o, o.amount_ore, [])
        for o in outcomes
        if o.key not in net
        and o.key not in disputes
        and o.amount_ore > 0
        and o.claimable_on <= today
        and period[0] <= o.reached_on <= period[1]
    ]
    for key in sorted(net):
        if disputes.get(key) in ("disputed", "recovered"):
            continue
        o = current.get(key)
        delta = (o.amount_ore if o is not None else 0) - net[key]
        if delta == 0:
            continue
        kind = "debit" if delta > 0 else "credit"
        if o is not None:
            lines.append(_line(kind, o, delta, ids[key]))
        else:
            lines.append(
                last[key]
                | {
                    "kind": kind,
                    "amount_ore": delta,
                    "corrects": ids[key],
                    "reason": "no longer reached",
                }
            )
    return lines


def _line(kind: str, o: Outcome, amount: int, corrects: list[str]) -> dict[str, Any]:
    line: dict[str, Any] = {
        "key": o.key,
        "kind": kind,
        "milestone": o.milestone,
        "candidate_id": str(o.candidate_id),
        "placement_id": str(o.placement_id),
        "company_id": str(o.company_id),
        "cvr": o.cvr,
        "run_starts_on": o.run_starts_on.isoformat(),
        "reached_on": o.reached_on.isoformat(),
        "price_ore": o.price_ore,
        "amount_ore": amount,
        "proof": list(o.proof),
        "corrects": list(corrects),
    }
    if o.admitted_by != "municipality":  # lines of municipality contracts replay as before
        line["admitted_by"] = o.admitted_by
    if kind != "charge":
        line["reason"] = "re-evaluated"
    return line
