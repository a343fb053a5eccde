"""Candidates: sealing personal data, reading it (logged), and erasing it for good."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from domain.candidate import Candidate
from domain.errors import CandidateNotFoundError, DuplicateIdError
from infra.municipalities import municipalities
from infra.vault import Vault, seal
from services.errors import CommandTimeoutError
from services.eventstore import CasebookApplication
from services.write.command import Command, IdempotencyClaim, Reader, on_existing


def unknown_candidate(candidate_id: UUID) -> CandidateNotFoundError:
    """The error for a candidate that does not exist or is not the caller's to see."""
    return CandidateNotFoundError(f"no candidate with id {candidate_id}")


def candidate_municipality(app: CasebookApplication, candidate_id: UUID) -> str | None:
    """The candidate's municipality (from the first event), None if unknown."""
    try:
        first: Any = app.repository.get(candidate_id, version=1)
    except AggregateNotFoundError:
        return None
    return first.municipality if isinstance(first, Candidate) else None


def register(
    *,
    candidate_id: UUID,
    municipality: str,
    sealed: str,
    by: UUID,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Register a candidate whose personal data is sealed already."""

    def decide(current: Aggregate | None, reader: Reader) -> tuple[Aggregate, dict[str, Any]]:
        if current is not None:
            raise DuplicateIdError(f"candidate {candidate_id} exists already")
        return Candidate.register(
            candidate_id=candidate_id,
            municipality=municipality,
            sealed=sealed,
            by=reader.staff(by).as_actor(),
            municipalities=municipalities(),
        ), {"id": str(candidate_id)}

    return Command(candidate_id, decide, expected_version, claim)


def _on_candidate(
    candidate_id: UUID,
    action: Callable[[Candidate, Reader], None],
    claim: IdempotencyClaim | None,
    expected_version: int | None,
) -> Command:
    """A command on an existing candidate; it answers with their id."""
    return on_existing(
        Candidate,
        candidate_id,
        lambda: unknown_candidate(candidate_id),
        action,
        {"id": str(candidate_id)},
        claim=claim,
        expected_version=expected_version,
    )


def clarify(
    candidate_id: UUID,
    *,
    health_clarified_on: date | None,
    motivation_clarified_on: date | None,
    by: UUID,
    now: datetime,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Record that health and/or motivation were clarified (dates only)."""
    return _on_candidate(
        candidate_id,
        lambda c, reader: c.clarify(
            health_clarified_on=health_clarified_on,
            motivation_clarified_on=motivation_clarified_on,
            by=reader.staff(by).as_actor(),
            now=now,
        ),
        claim,
        expected_version,
    )


def erase(
    candidate_id: UUID,
    *,
    by: UUID,
    now: datetime,
    legal_holds: Collection[str],
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """Record the erasure (the key is destroyed once this is in the log)."""
    return _on_candidate(
        candidate_id,
        lambda c, reader: c.erase(
            by=reader.staff(by).as_actor(),
            now=now,
            legal_holds=legal_holds,
        ),
        claim,
        expected_version,
    )


def register_sealed(
    vault: Vault,
    submit: Callable[[Command], object],
    *,
    candidate_id: UUID,
    municipality: str,
    personal: dict[str, Any],
    by: UUID,
) -> None:
    """Seal this personal data (whose `cpr` is normalised) under a new key, index the CPR
    number and record the registration; a failed command destroys key and index entry
    (the demo's job seekers; the API's route does the same with its idempotency claim)."""
    key = vault.new_key(candidate_id)
    try:
        vault.index_cpr(candidate_id, municipality, str(personal["cpr"]))
        submit(
            register(
                candidate_id=candidate_id,
                municipality=municipality,
                sealed=seal(key, candidate_id, personal),
                by=by,
            )
        )
    except CommandTimeoutError:
        raise  # the command may yet be written: its key must stay
    except BaseException:
        vault.destroy(candidate_id)
        raise
