"""The auditor settles disputes in the browser: from an invoice page, open a dispute of
some or all of its lines, and resolve it (upheld or recovered). Each form runs the
API's command (services/api/invoice_requests.py) under the API's rules (roles,
municipalities, legal holds), with the form's Idempotency-Key; a refusal is shown on
the invoice page, in Danish."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from domain.errors import DomainError
from services.api import invoice_requests as invoices
from services.api import schemas as s
from services.errors import ServiceError
from services.http.access import Scope, acting_id, allow
from services.http.auth import Principal, Role
from services.http.commands import Builder, CommandContext
from services.http.deps import Svc
from services.http.problems import status_for
from services.web.audit import invoice_page
from services.web.i18n import translate
from services.web.render import language

router = APIRouter(prefix="/app", include_in_schema=False)
Body = type[BaseModel]


@router.post("/invoices/{invoice_id}/disputes")
async def dispute(
    request: Request,
    invoice_id: UUID,
    svc: Svc,
    who: Annotated[Principal, allow(Role.AUDITOR, scope=Scope.INVOICE)],
) -> Response:
    """Dispute the ticked lines of the invoice (none ticked: every line), with a reason."""
    form = await request.form()
    keys = [str(k) for k in form.getlist("keys")]
    body = {"keys": keys, "reason": str(form.get("reason", ""))}
    by = acting_id(who, None)
    return await _run(
        _Form(request, svc, who, invoice_id, "dispute"),
        s.DisputeInvoice,
        body,
        lambda contract_id, b: invoices.dispute(contract_id, invoice_id, b, by),
    )


@router.post("/invoices/{invoice_id}/disputes/{dispute_id}/resolution")
async def resolve(
    request: Request,
    invoice_id: UUID,
    dispute_id: UUID,
    svc: Svc,
    who: Annotated[Principal, allow(Role.AUDITOR, Role.ADMIN, scope=Scope.INVOICE)],
) -> Response:
    """Resolve an open dispute of the invoice: upheld or recovered, with a note."""
    form = await request.form()
    body = {"outcome": str(form.get("outcome", "")), "note": str(form.get("note", ""))}
    by = acting_id(who, None)
    return await _run(
        _Form(request, svc, who, invoice_id, f"resolve-{dispute_id}"),
        s.ResolveDispute,
        body,
        lambda contract_id, b: invoices.resolution(contract_id, dispute_id, b, by),
    )


@dataclass(frozen=True)
class _Form:
    """A form on the invoice page as posted: by whom, on which invoice, which form."""

    request: Request
    svc: Svc
    who: Principal
    invoice_id: UUID
    name: str


async def _run(
    form: _Form,
    schema: Body,
    fields: Mapping[str, object],
    build: Callable[[UUID, Any], Builder],
) -> Response:
    """Validate the form as the API's body, run its command on the invoice's contract,
    and show the invoice again: at the command's position when saved, with the refusal
    above the forms if not."""
    request, svc, who, invoice_id = form.request, form.svc, form.who, form.invoice_id
    posted = await request.form()
    key = str(posted.get("idempotency_key") or "")[:200] or None
    lang = language(request)
    try:
        body = schema.model_validate(fields)
        contract_id = await invoices.contract_of(svc.app, invoice_id)
        ctx = CommandContext(request, Response(), svc, key, None)
        ctx.who = who
        answer = await ctx.run(build(contract_id, body), body)
    except ValidationError as error:
        detail = "; ".join(
            f"{translate('audit.' + str(e['loc'][0]), lang)}: {e['msg']}" if e["loc"] else e["msg"]
            for e in error.errors()
        )
        return await run_in_threadpool(
            invoice_page, request, svc, who, invoice_id, refused={form.name: detail}, status=422
        )
    except (DomainError, ServiceError) as error:
        status, _ = status_for(error)
        refused = {form.name: error.detail}
        return await run_in_threadpool(
            invoice_page, request, svc, who, invoice_id, refused=refused, status=status
        )
    return RedirectResponse(
        f"/app/invoices/{invoice_id}?min_position={answer.position}&saved={form.name}",
        status_code=303,
    )
