"""Invoice preparation: seal the log, then compute an invoice's lines at that position."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from services.audit.ledger import evaluate_contract
from services.audit.seal import Sealer
from services.eventstore import CasebookApplication
from services.read.db import ProjectionDb


@dataclass(frozen=True)
class PreparedInvoice:
    """An invoice computed from the sealed log, for the contract at `version`."""

    version: int
    position: int
    digest: str
    lines: list[dict[str, Any]]
    computed_on: date


def prepare_invoice(
    app: CasebookApplication,
    views: ProjectionDb,
    contract_id: UUID,
    period: tuple[date, date],
    today: date,
    *,
    postgres: bool,
) -> PreparedInvoice:
    """Seal the log to its end, then compute the invoice's lines at that position."""
    position, digest = Sealer(app, views, postgres=postgres).seal_all()
    evaluation = evaluate_contract(app, contract_id, stop=position, today=today)
    return PreparedInvoice(
        evaluation.contract.version, position, digest, evaluation.invoice_lines(period), today
    )
