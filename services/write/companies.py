"""Use cases of companies: each builds the Command that changes one company's stream."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.company import Company
from domain.errors import CompanyAlreadyRegisteredError, CompanyNotFoundError
from domain.parts import Actor
from domain.values import company_id, normalise_cvr
from infra.municipalities import municipalities
from services.errors import ForbiddenError
from services.write.command import Command, IdempotencyClaim, Reader, on_existing

CompanyAction = Callable[[Company, Actor, Reader], None]
"""A change of a company by the acting staff member (an Actor); it may read staff."""


def on_company(
    cvr: str,
    by: UUID,
    action: CompanyAction,
    answer_id: UUID | None,
    claim: IdempotencyClaim | None,
    expected_version: int | None,
) -> Command:
    """A command on the registered company with this CVR, recorded for staff member `by`;
    it answers with the CVR (and `answer_id`, the id of what it created or changed)."""
    cvr = normalise_cvr(cvr)

    def not_found() -> CompanyNotFoundError:
        return CompanyNotFoundError(f"no company with CVR {cvr} is registered")

    def act(company: Company, reader: Reader) -> None:
        action(company, reader.staff(by).as_actor(), reader)

    answer = {"cvr": cvr, **({"id": str(answer_id)} if answer_id is not None else {})}
    return on_existing(
        Company,
        company_id(cvr),
        not_found,
        act,
        answer,
        claim=claim,
        expected_version=expected_version,
    )


def register_company(
    *,
    cvr: str,
    name: str,
    municipality: str,
    industry: str,
    by: UUID,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Register a company; its stream id follows from the CVR."""
    cvr = normalise_cvr(cvr)

    def decide(current: Aggregate | None, reader: Reader) -> tuple[Aggregate, dict[str, Any]]:
        if current is not None:
            raise CompanyAlreadyRegisteredError(f"a company with CVR {cvr} is registered")
        company = Company.register(
            cvr=cvr,
            name=name,
            municipality=municipality,
            industry=industry,
            by=reader.staff(by).as_actor(),
            municipalities=municipalities(),
        )
        return company, {"cvr": cvr}

    return Command(company_id(cvr), decide, expected_version, claim)


def change_details(
    *,
    cvr: str,
    by: UUID,
    name: str,
    industry: str,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Correct the company's name or industry."""
    return on_company(
        cvr,
        by,
        lambda c, actor, _: c.change_details(
            name=name,
            industry=industry,
            by=actor,
        ),
        None,
        claim,
        expected_version,
    )


def assign_contact_person(
    *,
    cvr: str,
    by: UUID,
    staff_id: UUID,
    reason: str,
    handover_note: str,
    may_reassign: bool,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Make a staff member the one contact person, or hand the role over; only someone
    who `may_reassign` (a team lead) takes a company from another contact person."""

    def act(c: Company, actor: Actor, reader: Reader) -> None:
        if not may_reassign:
            _require_own_or_free(c, staff_id, by)
        staff = reader.staff(staff_id).as_actor()
        c.assign_contact_person(staff=staff, reason=reason, handover_note=handover_note, by=actor)

    return on_company(cvr, by, act, None, claim, expected_version)


def _require_own_or_free(company: Company, staff_id: UUID, by: UUID) -> None:
    """A consultant takes a company that has no contact person, or hands over their own."""
    takes_free = company.contact_person is None and staff_id == by
    if takes_free or company.contact_person == by:
        return
    raise ForbiddenError(
        "a consultant may take a company that has no contact person, or "
        "hand over their own; reassigning others' companies is for team leads"
    )


def log_contact(
    *,
    cvr: str,
    by: UUID,
    contact_id: UUID,
    channel: str,
    occurred_at: datetime,
    summary: str,
    topics: list[str],
    now: datetime,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Log a contact with the company under a new id (late is fine, ahead of time not)."""
    return on_company(
        cvr,
        by,
        lambda c, actor, _: c.log_contact(
            contact_id=contact_id,
            by=actor,
            channel=channel,
            occurred_at=occurred_at,
            summary=summary,
            topics=topics,
            now=now,
        ),
        contact_id,
        claim,
        expected_version,
    )


def correct_contact(
    *,
    cvr: str,
    by: UUID,
    contact_id: UUID,
    channel: str,
    occurred_at: datetime,
    summary: str,
    topics: list[str],
    reason: str,
    now: datetime,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Correct a logged contact; the original stays in the history."""
    return on_company(
        cvr,
        by,
        lambda c, actor, _: c.correct_contact(
            contact_id=contact_id,
            channel=channel,
            occurred_at=occurred_at,
            summary=summary,
            topics=topics,
            reason=reason,
            by=actor,
            now=now,
        ),
        contact_id,
        claim,
        expected_version,
    )


def set_contact_preference(
    *,
    cvr: str,
    by: UUID,
    max_contacts_per_month: int,
    preferred_channel: str | None,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Record the company's own cap on contacts per month and preferred channel."""
    return on_company(
        cvr,
        by,
        lambda c, actor, _: c.set_contact_preference(
            max_contacts_per_month=max_contacts_per_month,
            preferred_channel=preferred_channel,
            by=actor,
        ),
        None,
        claim,
        expected_version,
    )


def agree_commitment(
    *,
    cvr: str,
    by: UUID,
    commitment_id: UUID,
    description: str,
    target_hires: int,
    by_date: date,
    preparation: str,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Agree a concrete target with the company under a new id."""
    return on_company(
        cvr,
        by,
        lambda c, actor, _: c.agree_commitment(
            commitment_id=commitment_id,
            description=description,
            target_hires=target_hires,
            by_date=by_date,
            preparation=preparation,
            by=actor,
        ),
        commitment_id,
        claim,
        expected_version,
    )


def review_commitment(
    *,
    cvr: str,
    by: UUID,
    commitment_id: UUID,
    reviewed_on: date,
    note: str,
    now: datetime,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Record a review of a commitment with the company."""
    return on_company(
        cvr,
        by,
        lambda c, actor, _: c.review_commitment(
            commitment_id=commitment_id,
            reviewed_on=reviewed_on,
            note=note,
            by=actor,
            now=now,
        ),
        commitment_id,
        claim,
        expected_version,
    )
