"""The commands on an invoice: a dispute of its lines and a dispute's resolution, mapped
from their request schemas onto the contract's use cases (services/write/contracts.py).
The JSON routes and the auditor's pages build them here, so a field is mapped once."""

from __future__ import annotations

from uuid import UUID, uuid4

from fastapi.concurrency import run_in_threadpool

from services.api import schemas as s
from services.audit.ledger import find_invoice
from services.eventstore import CasebookApplication
from services.http.commands import Builder
from services.write import contracts


async def contract_of(app: CasebookApplication, invoice_id: UUID) -> UUID:
    """The contract that issued the invoice (InvoiceNotFoundError: no such invoice)."""
    _, event = await run_in_threadpool(find_invoice, app, invoice_id)
    contract_id: UUID = event.originator_id
    return contract_id


def dispute(contract_id: UUID, invoice_id: UUID, b: s.DisputeInvoice, by: UUID) -> Builder:
    """`dispute_invoice` for this request body, as a new dispute."""
    dispute_id = uuid4()
    return lambda claim, version: contracts.dispute_invoice(
        contract_id=contract_id,
        invoice_id=invoice_id,
        dispute_id=dispute_id,
        keys=b.keys,
        reason=b.reason,
        by=by,
        claim=claim,
        expected_version=version,
    )


def resolution(contract_id: UUID, dispute_id: UUID, b: s.ResolveDispute, by: UUID) -> Builder:
    """`resolve_dispute` for this request body."""
    return lambda claim, version: contracts.resolve_dispute(
        contract_id=contract_id,
        dispute_id=dispute_id,
        outcome=b.outcome,
        note=b.note,
        by=by,
        claim=claim,
        expected_version=version,
    )
