"""The auditor's pages: contracts, a contract's ledger, an invoice and its evidence,
and the export of the log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from domain.contract import OutcomeContract
from domain.errors import CompanyNotFoundError, InvalidValue
from domain.values import company_id, normalise_cvr
from infra.clock import COPENHAGEN
from services.audit.ledger import evaluate_contract, relevant_events
from services.audit.ledger_json import invoice_body, ledger_body
from services.feed.logged import read_logged
from services.feed.origins import Origins
from services.http.access import Scope, allow
from services.http.auth import Principal, Role
from services.http.deps import Svc
from services.http.visibility import company_municipality
from services.web.i18n import CATALOGUE, translate
from services.web.render import language, page

router = APIRouter(prefix="/app", include_in_schema=False)
AUDIT = (Role.AUDITOR, Role.ADMIN)
EXPORT_COLUMNS = (
    "position",
    "originator_id",
    "originator_version",
    "topic",
    "recorded_at",
    "state",
)


def contracts_of(svc: Svc, who: Principal) -> list[dict[str, Any]]:
    """The outcome contracts of the token's municipalities, as agreed, in log order."""
    found = []
    for _, event in relevant_events(svc.app, topics=[OutcomeContract.Agreed.TOPIC]):
        if who.may_see(event.municipality):
            found.append(
                {
                    "id": str(event.originator_id),
                    "name": event.name,
                    "municipality": event.municipality,
                    "period_from": event.period_from.isoformat(),
                    "period_to": event.period_to.isoformat(),
                }
            )
    return found


@router.get("/contracts")
def contracts(request: Request, svc: Svc, who: Annotated[Principal, allow(*AUDIT)]) -> Response:
    """The contracts of the auditor's municipalities, each linking to its ledger."""
    return page(request, "contracts.html", who=who, contracts=contracts_of(svc, who))


def milestone_names(request: Request) -> Any:
    """A milestone's name in the page's language (a contract's own name as it is)."""
    lang = language(request)
    return lambda name: (
        translate(f"milestone.{name}", lang) if f"milestone.{name}" in CATALOGUE else name
    )


def _known_at(value: str | None) -> datetime | None:
    """A moment from the page's field (local Danish time if it has no offset)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidValue(f"known_at is not a date and time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=COPENHAGEN)


@router.get("/contracts/{contract_id}")
def contract_ledger(
    request: Request,
    contract_id: UUID,
    svc: Svc,
    who: Annotated[Principal, allow(*AUDIT, scope=Scope.CONTRACT)],
    known_at: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """A contract's ledger as known now, or as recorded by `known_at`."""
    known = _known_at(known_at)
    evaluation = evaluate_contract(
        svc.app, contract_id, known_at=known, today=None if known else svc.clock().date()
    )
    body = ledger_body(
        evaluation.contract,
        evaluation.position,
        evaluation.today,
        evaluation.entries(),
        known.isoformat() if known else None,
    )
    invoices = sorted(evaluation.contract.books.invoices.values(), key=lambda i: i.position)
    return page(
        request,
        "ledger.html",
        who=who,
        ledger=body,
        invoices=invoices,
        known_at=known_at or "",
        milestone=milestone_names(request),
        total=sum(e["amount_ore"] for e in body["entries"]),
    )


@router.get("/invoices/{invoice_id}")
def invoice(
    request: Request,
    invoice_id: UUID,
    svc: Svc,
    who: Annotated[Principal, allow(*AUDIT, scope=Scope.INVOICE)],
) -> Response:
    """An invoice: its lines and the events behind each, its provenance, whether the
    seal still holds the digest it pinned, and its disputes (opened and settled here)."""
    return invoice_page(request, svc, who, invoice_id)


def invoice_page(
    request: Request,
    svc: Svc,
    who: Principal,
    invoice_id: UUID,
    *,
    refused: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The invoice page; `refused` names the form whose command was refused and why."""
    body = invoice_body(svc.app, svc.views, invoice_id)
    return page(
        request,
        "invoice.html",
        status,
        who=who,
        inv=body,
        milestone=milestone_names(request),
        saved=request.query_params.get("saved"),
        refused=refused or {},
        key=str(uuid4()),  # the forms' Idempotency-Key: a second press records nothing new
    )


@router.get("/export")
async def export(
    svc: Svc,
    who: Annotated[Principal, allow(*AUDIT)],
    company: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The log as JSON lines (`casebook export`'s format), streamed: the events of the
    token's municipalities, or of one of their companies."""
    stream = None
    if company:
        cvr = normalise_cvr(company)
        municipality = await run_in_threadpool(company_municipality, svc, cvr)
        if municipality is None or not who.may_see(municipality):
            raise CompanyNotFoundError(f"no company with CVR {cvr} is registered")
        stream = str(company_id(cvr))
    name = f"casebook-{company or 'log'}.jsonl".replace(" ", "")
    return StreamingResponse(
        _export_lines(svc, who, stream),
        media_type="application/x-ndjson",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _export_lines(svc: Svc, who: Principal, stream: str | None) -> Iterator[bytes]:
    """One JSON record per visible event, in log order, a page of the log at a time."""
    origins = Origins(svc.app)
    for n in svc.app.log_after(0):
        if stream is not None and str(n.originator_id) != stream:
            continue
        try:
            municipality = origins.of(read_logged(svc.app.mapper, n, n.id)).municipality
        except LookupError:  # no event states whose it is: not shown to anyone's auditor
            continue
        if not who.may_see(municipality):
            continue
        state = n.state.decode(errors="replace")
        row = (
            n.id,
            str(n.originator_id),
            n.originator_version,
            n.topic,
            _recorded_at(state),
            state,
        )
        yield (
            json.dumps(dict(zip(EXPORT_COLUMNS, row, strict=True)), ensure_ascii=False) + "\n"
        ).encode()


def _recorded_at(state: str) -> str | None:
    try:
        return str(json.loads(state)["timestamp"]["_data_"])
    except (ValueError, KeyError, TypeError):
        return None
