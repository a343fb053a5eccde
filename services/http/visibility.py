"""Whether a caller may see what a path names: the municipality of a company, a staff
member, a candidate, a contract or an invoice, looked up once (a company's is cached)
and checked against the token. What the token does not cover answers exactly as what
does not exist: the same 404 with the same detail, before anything else of the request
(its body) is looked at, so a probe learns nothing of other municipalities."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from fastapi.concurrency import run_in_threadpool

from domain.company import Company
from domain.contract import OutcomeContract
from domain.errors import (
    CompanyNotFoundError,
    ContractNotFoundError,
    InvalidValue,
    InvoiceNotFoundError,
    NotFound,
    StaffNotFoundError,
)
from domain.staff import StaffMember
from domain.values import company_id, normalise_cvr
from services.audit.ledger import find_invoice
from services.http.auth import Principal
from services.http.container import Services
from services.write.candidates import candidate_municipality, unknown_candidate


def company_municipality(services: Services, cvr: str) -> str | None:
    """The municipality of the company with this (normalised) CVR, None if unknown.

    Read from the company's first event in the log, not from a read model, so a
    company registered a moment ago is found even while the views catch up.
    """
    key = company_id(cvr)
    cached = services.municipalities.get(key)
    if cached is not None:
        return cached
    try:
        first: Any = services.app.repository.get(key, version=1)
    except AggregateNotFoundError:
        return None
    assert isinstance(first, Company)
    services.municipalities.put(key, first.municipality)
    return first.municipality


async def company_visible(services: Services, who: Principal, cvr: str) -> None:
    try:
        normal = normalise_cvr(cvr)
    except InvalidValue:
        return  # the route itself answers with the CVR's error
    municipality = services.municipalities.get(company_id(normal))
    if municipality is None:
        municipality = await run_in_threadpool(company_municipality, services, normal)
    if municipality is None or not who.may_see(municipality):
        raise CompanyNotFoundError(f"no company with CVR {normal} is registered")


def staff_municipality(services: Services, staff_id: UUID) -> str | None:
    """The staff member's current municipality, None if unknown."""
    try:
        member: Any = services.app.repository.get(staff_id)
    except AggregateNotFoundError:
        return None
    assert isinstance(member, StaffMember)
    return member.municipality


async def staff_visible(services: Services, who: Principal, staff_id: UUID) -> None:
    municipality = await run_in_threadpool(staff_municipality, services, staff_id)
    if municipality is None or not who.may_see(municipality):
        raise StaffNotFoundError(f"no staff member with id {staff_id}")


async def candidate_visible(services: Services, who: Principal, candidate_id: UUID) -> None:
    municipality = await run_in_threadpool(candidate_municipality, services.app, candidate_id)
    if municipality is None or not who.may_see(municipality):
        raise unknown_candidate(candidate_id)


def contract_municipality(services: Services, contract_id: UUID) -> str | None:
    """The contract's municipality (from its first event), None if unknown."""
    try:
        first: Any = services.app.repository.get(contract_id, version=1)
    except AggregateNotFoundError:
        return None
    return first.municipality if isinstance(first, OutcomeContract) else None


async def contract_visible(services: Services, who: Principal, contract_id: UUID) -> None:
    municipality = await run_in_threadpool(contract_municipality, services, contract_id)
    if municipality is None or not who.may_see(municipality):
        raise ContractNotFoundError(f"no outcome contract {contract_id} was recorded")


async def invoice_visible(services: Services, who: Principal, invoice_id: UUID) -> None:
    try:
        _, event = await run_in_threadpool(find_invoice, services.app, invoice_id)
    except NotFound:
        raise InvoiceNotFoundError(f"no invoice {invoice_id}") from None
    municipality = await run_in_threadpool(contract_municipality, services, event.originator_id)
    if municipality is None or not who.may_see(municipality):
        raise InvoiceNotFoundError(f"no invoice {invoice_id}")
