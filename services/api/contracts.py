"""Routes of payment by results: contracts, the ledger, invoices and disputes."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from domain.errors import InvalidValue
from domain.rules import DEFAULT_MILESTONES, Milestone, Rules, durable_default
from services.api import invoice_requests as invoices
from services.api import schemas as s
from services.audit.invoices import PreparedInvoice, prepare_invoice
from services.audit.ledger import evaluate_contract
from services.audit.ledger_json import invoice_body, ledger_body
from services.errors import ANY_VERSION, VersionMismatchError
from services.http.access import Scope, acting_id, allow, require_municipality
from services.http.auth import Principal, Role
from services.http.commands import Builder, CommandAnswer
from services.http.deps import Ctx, Svc
from services.write import contracts
from services.write.command import Command, IdempotencyClaim

router = APIRouter(tags=["outcome contracts"])
INVOICE_ATTEMPTS = 3


def rules_from(body: s.RulesIn, effective_from: date) -> Rules:
    """Domain rules from a request (the default milestones at the given prices)."""
    if body.milestones is not None:
        milestones = tuple(Milestone(m.name, m.weeks, m.price_ore) for m in body.milestones)
    elif body.default_prices_ore is not None:
        milestones = tuple(
            Milestone(m.name, m.weeks, p)
            for m, p in zip(DEFAULT_MILESTONES, body.default_prices_ore, strict=True)
        )
    else:
        raise InvalidValue(
            "give `milestones`, or `default_prices_ore` for the default "
            "milestones (start, 13 and 26 weeks)"
        )
    rules = Rules(
        effective_from,
        frozenset(str(k) for k in body.paying_kinds),
        milestones,
        body.min_hours_per_week,
        body.evidence_lag_days,
        body.cap_per_company_ore,
        body.cap_per_contract_ore,
        body.durable_milestone or durable_default(milestones),
        body.measurement_years,
        body.baseline,
    )
    rules.validate()
    return rules


@router.post("/contracts", status_code=201)
async def agree_contract(
    body: s.AgreeContract, ctx: Ctx, who: Annotated[Principal, allow(Role.ADMIN)]
) -> CommandAnswer:
    """Record an outcome contract for a municipality and period, with its rules, the
    actor it pays (`counterparty`) and its scope: every placement in the municipality,
    or only those at the companies taking part in its programme (admin)."""
    require_municipality(who, body.municipality)
    ctx.who, by = who, acting_id(who, body.by)
    new_id = uuid4()
    rules = rules_from(body.rules, body.period_from)
    return await ctx.run(
        lambda claim, version: contracts.agree_contract(
            contract_id=new_id,
            municipality=body.municipality,
            name=body.name,
            period_from=body.period_from,
            period_to=body.period_to,
            rules=rules,
            by=by,
            counterparty=(body.counterparty.name, body.counterparty.cvr)
            if body.counterparty
            else None,
            target_group=body.target_group,
            scope=body.scope,
            claim=claim,
            expected_version=version,
        ),
        body,
    )


@router.post("/contracts/{contract_id}/amendments", status_code=201)
async def amend_contract(
    contract_id: UUID,
    body: s.AmendContract,
    ctx: Ctx,
    who: Annotated[Principal, allow(Role.ADMIN, scope=Scope.CONTRACT)],
) -> CommandAnswer:
    """New rules from `effective_from` (today or later): the past is never rewritten (admin)."""
    ctx.who, by = who, acting_id(who, body.by)
    rules = rules_from(body.rules, body.effective_from)
    today = ctx.now().date()
    return await ctx.run(
        lambda claim, version: contracts.amend_contract(
            contract_id=contract_id,
            rules=rules,
            by=by,
            today=today,
            claim=claim,
            expected_version=version,
        ),
        body,
    )


@router.get("/contracts/{contract_id}/ledger")
def contract_ledger(
    contract_id: UUID,
    services: Svc,
    who: Annotated[Principal, allow(Role.AUDITOR, Role.ADMIN, scope=Scope.CONTRACT)],
    known_at: Annotated[
        s.Moment | None,
        Query(description="recording time: the ledger as known then (default now)"),
    ] = None,
) -> dict[str, Any]:
    """Every milestone reached under the contract: state, amounts and the proving events."""
    evaluation = evaluate_contract(
        services.app,
        contract_id,
        known_at=known_at,
        today=None if known_at else services.clock().date(),
    )
    return ledger_body(
        evaluation.contract,
        evaluation.position,
        evaluation.today,
        evaluation.entries(),
        known_at.isoformat() if known_at else None,
    )


@router.post("/contracts/{contract_id}/invoices", status_code=201)
async def issue_invoice(
    contract_id: UUID,
    body: s.IssueInvoice,
    ctx: Ctx,
    who: Annotated[Principal, allow(Role.ADMIN, scope=Scope.CONTRACT)],
) -> CommandAnswer:
    """Invoice claimable milestones reached in the period, plus corrections of earlier
    invoices; pinned to the sealed log position and digest it was computed at (admin)."""
    ctx.who, by = who, acting_id(who, body.by)
    services, invoice_id = ctx.services, uuid4()
    wanted = ctx.expected_version
    for attempt in range(INVOICE_ATTEMPTS):
        prepared = await run_in_threadpool(
            prepare_invoice,
            services.app,
            services.views,
            contract_id,
            (body.period_from, body.period_to),
            ctx.now().date(),
            postgres=services.settings.backend == "postgres",
        )
        if wanted is not None and wanted not in (ANY_VERSION, prepared.version):
            raise VersionMismatchError(wanted, prepared.version)
        ctx.expected_version = prepared.version  # the contract as the lines saw it
        try:
            return await ctx.run(_issue(contract_id, invoice_id, body, prepared, by), body)
        except VersionMismatchError:  # the contract changed meanwhile: compute again
            if attempt == INVOICE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _issue(
    contract_id: UUID, invoice_id: UUID, body: s.IssueInvoice, prepared: PreparedInvoice, by: UUID
) -> Builder:
    def build(claim: IdempotencyClaim | None, _: int | None) -> Command:
        return contracts.issue_invoice(
            contract_id=contract_id,
            invoice_id=invoice_id,
            period_from=body.period_from,
            period_to=body.period_to,
            computed_on=prepared.computed_on,
            position=prepared.position,
            digest=prepared.digest,
            lines=prepared.lines,
            by=by,
            claim=claim,
            expected_version=prepared.version,
        )

    return build


@router.get("/invoices/{invoice_id}")
def invoice(
    invoice_id: UUID,
    services: Svc,
    who: Annotated[Principal, allow(Role.AUDITOR, Role.ADMIN, scope=Scope.INVOICE)],
) -> dict[str, Any]:
    """An invoice with its provenance: where in the log it was computed, the digest it
    pinned, whether the seal still agrees, and its disputes."""
    return invoice_body(services.app, services.views, invoice_id)


@router.post("/invoices/{invoice_id}/disputes", status_code=201)
async def dispute_invoice(
    invoice_id: UUID,
    body: s.DisputeInvoice,
    ctx: Ctx,
    who: Annotated[Principal, allow(Role.AUDITOR, scope=Scope.INVOICE)],
) -> CommandAnswer:
    """Dispute lines of an invoice (all of them when `keys` is empty) (auditor)."""
    ctx.who, by = who, acting_id(who, body.by)
    contract_id = await invoices.contract_of(ctx.services.app, invoice_id)
    return await ctx.run(invoices.dispute(contract_id, invoice_id, body, by), body)


@router.post("/invoices/{invoice_id}/disputes/{dispute_id}/resolution", status_code=201)
async def resolve_dispute(
    invoice_id: UUID,
    dispute_id: UUID,
    body: s.ResolveDispute,
    ctx: Ctx,
    who: Annotated[Principal, allow(Role.AUDITOR, Role.ADMIN, scope=Scope.INVOICE)],
) -> CommandAnswer:
    """End a dispute: `upheld` (the payment stands) or `recovered` (the money comes back)
    (auditor or admin)."""
    ctx.who, by = who, acting_id(who, body.by)
    contract_id = await invoices.contract_of(ctx.services.app, invoice_id)
    return await ctx.run(invoices.resolution(contract_id, dispute_id, body, by), body)
