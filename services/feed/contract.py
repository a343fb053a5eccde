"""The contract of messages for other services: every domain event class, its name and
version on the wire, which field is its business time, and which fields are left out.

Every domain event class has an entry in `CONTRACT` (a test walks the domain to
check). None of a job seeker's personal data is ever in an event; a staff member's
name is not published either. An event class without an entry is
`UnmappedEventError`: nothing is ever skipped silently.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from domain.candidate import Candidate
from domain.company import Company
from domain.contract import OutcomeContract
from domain.staff import StaffMember

SOURCE = "/casebook"
SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
_LIBRARY_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic"}
)
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


class UnmappedEventError(Exception):
    """An event class has no entry in the message contract."""


@dataclass(frozen=True)
class EventContract:
    """How one event class appears to other services."""

    aggregate: str  # "company", "staff"
    event: str  # "contact_logged"
    version: int
    business_time: str | None  # the field holding business time, else the recording time
    fields: tuple[str, ...]  # the body's fields, in order

    @property
    def type(self) -> str:
        """The CloudEvents type, e.g. dk.casebook.company.contact_logged.v1."""
        return f"dk.casebook.{self.aggregate}.{self.event}.v{self.version}"

    @cached_property
    def fixed_lines(self) -> str:
        """The header lines that are the same for every event of the class."""
        return (
            f"ce-specversion: {SPECVERSION}\r\nce-source: {SOURCE}\r\n"
            f"ce-type: {self.type}\r\ncontent-type: {CONTENT_TYPE}\r\n"
        )

    @cached_property
    def subject_tail(self) -> str:
        """The end of the class's NATS subject, after the municipality."""
        return f".{self.aggregate}.{self.event}"


def _contract(
    cls: type[Any],
    aggregate: str,
    business_time: str | None = None,
    omit: frozenset[str] = frozenset(),
) -> tuple[type[Any], EventContract]:
    fields = tuple(
        f.name
        for f in dataclasses.fields(cls)
        if f.name not in _LIBRARY_FIELDS and f.name not in omit
    )
    name = _CAMEL.sub("_", cls.__name__).lower()
    return cls, EventContract(
        aggregate, name, getattr(cls, "class_version", 1) or 1, business_time, fields
    )


C, S = Company, StaffMember
CONTRACT: dict[type[Any], EventContract] = dict(
    [
        _contract(C.Registered, "company"),
        _contract(C.DetailsChanged, "company"),
        _contract(C.ContactPersonAssigned, "company"),
        _contract(C.ContactLogged, "company", "occurred_at"),
        _contract(C.ContactCorrected, "company", "occurred_at"),
        _contract(C.ContactPreferenceSet, "company"),
        _contract(C.OpeningRegistered, "company"),
        _contract(C.OpeningClosed, "company"),
        _contract(C.CandidateReferred, "company"),
        _contract(C.ReferralAnswered, "company", "answered_on"),
        _contract(C.PlacementStarted, "company", "starts_on"),
        _contract(C.PlacementChanged, "company", "effective_on"),
        _contract(C.PlacementEnded, "company", "ends_on"),
        _contract(C.FollowUpScheduled, "company"),
        _contract(C.FollowUpCompleted, "company", "held_on"),
        _contract(C.CommitmentAgreed, "company"),
        _contract(C.CommitmentReviewed, "company", "reviewed_on"),
        _contract(C.ProgrammeJoined, "company", "joined_on"),
        _contract(C.ProgrammeLeft, "company", "left_on"),
        _contract(S.Joined, "staff", omit=frozenset({"name"})),
        _contract(S.Moved, "staff", "moved_on"),
        _contract(S.Left, "staff", "left_on"),
        # A candidate's sealed personal data never leaves casebook, not even encrypted.
        _contract(Candidate.Registered, "candidate", omit=frozenset({"sealed"})),
        _contract(Candidate.Clarified, "candidate"),
        _contract(Candidate.Erased, "candidate", "erased_on"),
        _contract(OutcomeContract.Agreed, "contract", "period_from"),
        _contract(OutcomeContract.Amended, "contract"),
        _contract(OutcomeContract.InvoiceIssued, "contract", "computed_on"),
        _contract(OutcomeContract.InvoiceDisputed, "contract"),
        _contract(OutcomeContract.DisputeResolved, "contract"),
    ]
)


def contract_of(cls: type[Any]) -> EventContract:
    """The contract entry of an event class (UnmappedEventError if it has none)."""
    try:
        return CONTRACT[cls]
    except KeyError:
        raise UnmappedEventError(
            f"no message contract for {cls.__module__}.{cls.__qualname__}: add it to "
            "services/feed/contract.py CONTRACT"
        ) from None
