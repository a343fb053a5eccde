"""A contract's ledger and an invoice with its provenance, as JSON: the bodies of the
API's routes, of the auditor's pages and of `casebook replay --json`."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain.contract import OutcomeContract
from domain.ledger import LedgerEntry
from services.audit.ledger import find_invoice
from services.audit.seal import Sealer
from services.eventstore import CasebookApplication
from services.read.db import ProjectionDb


def _entry(e: LedgerEntry) -> dict[str, Any]:
    o, line = e.outcome, e.line or {}
    facts: dict[str, Any] = {
        "milestone": line.get("milestone"),
        "candidate_id": line.get("candidate_id"),
        "placement_id": line.get("placement_id"),
        "company_id": line.get("company_id"),
        "cvr": line.get("cvr"),
        "run_starts_on": line.get("run_starts_on"),
        "reached_on": None,
        "claimable_on": None,
        "price_ore": line.get("price_ore"),
        "amount_ore": 0,
        "proof": line.get("proof", []),
        "admitted_by": line.get("admitted_by", "municipality"),
    }
    if o is not None:
        facts = {
            "milestone": o.milestone,
            "candidate_id": str(o.candidate_id),
            "placement_id": str(o.placement_id),
            "company_id": str(o.company_id),
            "cvr": o.cvr,
            "run_starts_on": o.run_starts_on.isoformat(),
            "reached_on": o.reached_on.isoformat(),
            "claimable_on": o.claimable_on.isoformat(),
            "price_ore": o.price_ore,
            "amount_ore": o.amount_ore,
            "proof": list(o.proof),
            "admitted_by": o.admitted_by,
        }
    return {
        "key": e.key,
        "state": e.state,
        **facts,
        "invoiced_ore": e.invoiced_ore,
        "pending_correction_ore": e.pending_correction_ore,
        "invoices": list(e.invoices),
    }


def counterparty(contract: OutcomeContract) -> dict[str, str] | None:
    """Whom the contract pays: its counterparty, None for a contract recorded before
    contracts named one."""
    if contract.counterparty_name is None or contract.counterparty_cvr is None:
        return None
    return {"name": contract.counterparty_name, "cvr": contract.counterparty_cvr}


def terms(contract: OutcomeContract) -> dict[str, Any]:
    """The contract's counterparty, target group and scope as JSON."""
    return {
        "counterparty": counterparty(contract),
        "target_group": contract.target_group,
        "scope": contract.scope,
    }


def ledger_body(
    contract: OutcomeContract,
    position: int,
    today: date,
    entries: list[LedgerEntry],
    known_at: str | None,
) -> dict[str, Any]:
    """The ledger as JSON."""
    return {
        "contract_id": str(contract.id),
        "municipality": contract.municipality,
        "name": contract.name,
        "period_from": contract.period_from.isoformat(),
        "period_to": contract.period_to.isoformat(),
        **terms(contract),
        "known_at": known_at,
        "as_of": today.isoformat(),
        "position": position,
        "entries": [_entry(e) for e in entries],
    }


def invoice_body(app: CasebookApplication, views: ProjectionDb, invoice_id: UUID) -> dict[str, Any]:
    """An invoice with its provenance as JSON: where in the log it was computed, the
    digest it pinned, whether the seal still agrees, and its disputes."""
    recorded_at, event = find_invoice(app, invoice_id)
    sealed = Sealer(app, views).digest_at(event.position)
    contract = app.find(event.originator_id, OutcomeContract)
    assert contract is not None  # its own event was just read
    disputes = [
        {
            "dispute_id": str(d.dispute_id),
            "keys": list(d.keys),
            "reason": d.reason,
            "outcome": d.outcome,
            "note": d.note,
        }
        for d in contract.books.disputes.values()
        if d.invoice_id == invoice_id
    ]
    return {
        "invoice_id": str(invoice_id),
        "contract_id": str(event.originator_id),
        "to": counterparty(contract),
        "event": f"{event.originator_id}:{event.originator_version}",
        "recorded_at": event.timestamp.isoformat(),
        "recorded_position": recorded_at,
        "period_from": event.period_from.isoformat(),
        "period_to": event.period_to.isoformat(),
        "computed_on": event.computed_on.isoformat(),
        "position": event.position,
        "digest": event.digest,
        "sealed_digest_now": sealed,
        "seal_agrees": sealed == event.digest,
        "lines": event.lines,
        "total_ore": event.total_ore,
        "disputes": disputes,
    }
