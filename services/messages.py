"""The contract of messages for other services: each event as a CloudEvent 1.0.

Every domain event class has an entry in `CONTRACT` (a test walks the domain to
check): its aggregate and event name on the wire, which field is its business
time, and which fields are left out (none of a job seeker's personal data is
ever in an event; a staff member's name is not published either). The same
attributes serve NATS (binary mode: `ce-` headers, JSON body) and `GET /events`
(structured mode). An event class without an entry is `UnmappedEventError`:
nothing is ever skipped silently.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.company import Company
from domain.staff import StaffMember

SOURCE = "/casebook"
SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
SEQUENCE_DIGITS = 20  # fits any 64-bit position, so text order is log order
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
_LIBRARY_FIELDS = frozenset({"originator_id", "originator_version", "timestamp",
                             "originator_topic"})
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


def _contract(cls: type[Any], aggregate: str, business_time: str | None = None,
              omit: frozenset[str] = frozenset()) -> tuple[type[Any], EventContract]:
    fields = tuple(f.name for f in dataclasses.fields(cls)
                   if f.name not in _LIBRARY_FIELDS and f.name not in omit)
    name = _CAMEL.sub("_", cls.__name__).lower()
    return cls, EventContract(aggregate, name, getattr(cls, "class_version", 1) or 1,
                              business_time, fields)


C, S = Company, StaffMember
CONTRACT: dict[type[Any], EventContract] = dict([
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
    _contract(S.Joined, "staff", omit=frozenset({"name"})),
    _contract(S.Moved, "staff", "moved_on"),
    _contract(S.Left, "staff", "left_on"),
])


def contract_of(cls: type[Any]) -> EventContract:
    """The contract entry of an event class (UnmappedEventError if it has none)."""
    try:
        return CONTRACT[cls]
    except KeyError:
        raise UnmappedEventError(
            f"no message contract for {cls.__module__}.{cls.__qualname__}: add it to "
            "services/messages.py CONTRACT") from None


@dataclass(frozen=True)
class Origin:
    """Where an aggregate's events go: its municipality and the CloudEvents subject."""

    municipality: str
    subject: str  # the CVR of a company, the id of a staff member


@dataclass(frozen=True)
class Message:
    """One event as a CloudEvent: its NATS subject, attributes and JSON data."""

    subject: str
    attributes: dict[str, str]
    data: bytes

    def headers(self) -> dict[str, str]:
        """Binary mode: every attribute as a `ce-` header, and the content type."""
        headers = {f"ce-{k}": v for k, v in self.attributes.items()}
        headers["content-type"] = CONTENT_TYPE
        headers["Nats-Msg-Id"] = self.attributes["id"]
        return headers

    def structured(self) -> dict[str, Any]:
        """Structured mode (application/cloudevents+json)."""
        return {**self.attributes, "datacontenttype": CONTENT_TYPE,
                "data": json.loads(self.data)}


def _plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not part of the message contract")


def _instant(value: datetime | date) -> str:
    if not isinstance(value, datetime):  # a business date: its start in Danish time
        value = datetime.combine(value, time(), COPENHAGEN)
    return value.isoformat()


def sequence_text(position: int) -> str:
    """A log position as `ce-sequence` (zero-padded)."""
    return str(position).zfill(SEQUENCE_DIGITS)


def to_message(event: Any, position: int, origin: Origin, prefix: str = "casebook") -> Message:
    """The CloudEvent for `event` at log `position`, to be published under `prefix`."""
    contract = contract_of(type(event))
    values = event.__dict__
    body = {name: values[name] for name in contract.fields}
    business = values[contract.business_time] if contract.business_time else event.timestamp
    attributes = {
        "specversion": SPECVERSION,
        "id": f"{event.originator_id}:{event.originator_version}",
        "source": SOURCE,
        "type": contract.type,
        "subject": origin.subject,
        "time": _instant(business),
        "sequence": sequence_text(position),
        "recordedtime": event.timestamp.isoformat(),
    }
    return Message(f"{prefix}.{origin.municipality}.{contract.aggregate}.{contract.event}",
                   attributes, json.dumps(body, default=_plain, ensure_ascii=False,
                                          separators=(",", ":")).encode())


def carried_origin(event: Any) -> Origin | None:
    """The origin an event states itself (a company's registration, a staff move)."""
    if isinstance(event, Company.Registered):
        return Origin(event.municipality, event.cvr)
    if isinstance(event, StaffMember.Joined | StaffMember.Moved):
        return Origin(event.municipality, str(event.originator_id))
    return None
