"""Legal holds: open invoice disputes that keep a candidate's data from being erased."""

from __future__ import annotations

from uuid import UUID

from domain.contract import OutcomeContract
from services.audit.ledger import relevant_events
from services.eventstore import CasebookApplication


def legal_holds(
    app: CasebookApplication, candidate_id: UUID, municipality: str | None
) -> list[str]:
    """Open invoice disputes that depend on this candidate (they block erasure): a
    dispute not yet resolved, on a contract of the candidate's municipality, whose
    disputed invoice lines name the candidate."""
    holds = []
    for _, agreed in relevant_events(app, topics=[OutcomeContract.Agreed.TOPIC]):
        if agreed.municipality != municipality:
            continue
        contract = app.find(agreed.originator_id, OutcomeContract)
        assert contract is not None
        for dispute in contract.books.disputes.values():
            if dispute.outcome is not None:
                continue
            lines = contract.books.invoices[dispute.invoice_id].lines
            named = {
                str(line.get("candidate_id")) for line in lines if line.get("key") in dispute.keys
            }
            if str(candidate_id) in named:
                holds.append(str(dispute.dispute_id))
    return holds
