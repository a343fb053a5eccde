"""What a command is: the stream it changes, its decision, and what it answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.candidate import Candidate
from domain.errors import CandidateErasedError, CandidateNotFoundError, StaffNotFoundError
from domain.staff import StaffMember
from infra.recorder import StoredAnswer
from services.errors import IdempotencyKeyReusedError


class Reader:
    """What a decision may read besides its own aggregate: staff members and candidates
    (whose municipality never changes)."""

    def __init__(
        self, lookup: Callable[[UUID], Aggregate | None], working: dict[UUID, Aggregate]
    ) -> None:
        self._lookup = lookup  # a staff member by id, as fresh as the caller keeps them
        self._working = working

    def staff(self, staff_id: UUID) -> StaffMember:
        """The staff member, as this batch sees it; StaffNotFoundError if unknown."""
        found = self._working.get(staff_id) or self._lookup(staff_id)
        if not isinstance(found, StaffMember):
            raise StaffNotFoundError(f"staff member {staff_id} not found")
        return found

    def candidate_of(self, municipality: str, candidate_id: UUID) -> Candidate:
        """The candidate, registered in this municipality; CandidateNotFoundError if not."""
        found = self._working.get(candidate_id) or self._lookup(candidate_id)
        if not isinstance(found, Candidate) or found.municipality != municipality:
            raise CandidateNotFoundError(
                f"no candidate {candidate_id} is registered in municipality {municipality}"
            )
        if found.erased:
            raise CandidateErasedError(f"candidate {candidate_id} has been erased")
        return found


Decision = Callable[[Any, Reader], tuple[Aggregate, dict[str, Any]]]


@dataclass(frozen=True)
class IdempotencyClaim:
    """An Idempotency-Key and a hash of the request it came with."""

    key: str
    request_hash: str


@dataclass(frozen=True)
class Command:
    """Change one stream: `decide` gets its current aggregate (or None)."""

    target: UUID
    decide: Decision
    expected_version: int | None = None
    idempotency: IdempotencyClaim | None = None


A = TypeVar("A", bound=Aggregate)


def on_existing(
    kind: type[A],
    target: UUID,
    not_found: Callable[[], Exception],
    action: Callable[[A, Reader], None],
    answer: dict[str, Any],
    *,
    claim: IdempotencyClaim | None = None,
    expected_version: int | None = None,
) -> Command:
    """A command on an existing aggregate of this kind (else `not_found()`): `action`
    changes it, and the command answers with `answer`."""

    def decide(current: Aggregate | None, reader: Reader) -> tuple[Aggregate, dict[str, Any]]:
        if not isinstance(current, kind):
            raise not_found()
        action(current, reader)
        return current, dict(answer)

    return Command(target, decide, expected_version, claim)


@dataclass(frozen=True)
class CommandResult:
    """The stream's new version, the log position of the command's event, and details."""

    aggregate_id: UUID
    version: int
    position: int
    body: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False


def answer_from_store(claim: IdempotencyClaim, answer: StoredAnswer) -> CommandResult:
    """The first answer to a command with this key, or an error if the request differs."""
    if answer.request_hash != claim.request_hash:
        raise IdempotencyKeyReusedError(
            f"Idempotency-Key {claim.key!r} was used for a different request"
        )
    body = dict(answer.response)
    return CommandResult(
        aggregate_id=UUID(body.pop("aggregate_id")),
        version=int(body.pop("version")),
        position=answer.position or 0,
        body=body,
        replayed=True,
    )
