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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cached_property, lru_cache
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import resolve_topic

from domain.candidate import Candidate
from domain.company import Company
from domain.contract import OutcomeContract
from domain.staff import StaffMember
from infra.clock import COPENHAGEN
from infra.jetstream import Outgoing
from services.read.decoding import plain_state, uuid_text

SOURCE = "/casebook"
SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
SEQUENCE_DIGITS = 20  # fits any 64-bit position, so text order is log order
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

    @cached_property
    def fixed_lines(self) -> str:
        """The header lines that are the same for every event of the class."""
        return (f"ce-specversion: {SPECVERSION}\r\nce-source: {SOURCE}\r\n"
                f"ce-type: {self.type}\r\ncontent-type: {CONTENT_TYPE}\r\n")

    @cached_property
    def subject_tail(self) -> str:
        """The end of the class's NATS subject, after the municipality."""
        return f".{self.aggregate}.{self.event}"


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
    # A candidate's sealed personal data never leaves casebook, not even encrypted.
    _contract(Candidate.Registered, "candidate", omit=frozenset({"sealed"})),
    _contract(Candidate.Clarified, "candidate"),
    _contract(Candidate.Erased, "candidate", "erased_on"),
    _contract(OutcomeContract.Agreed, "contract", "period_from"),
    _contract(OutcomeContract.Amended, "contract"),
    _contract(OutcomeContract.InvoiceIssued, "contract", "computed_on"),
    _contract(OutcomeContract.InvoiceDisputed, "contract"),
    _contract(OutcomeContract.DisputeResolved, "contract"),
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


@dataclass(slots=True)
class LoggedEvent:
    """An event as read from the log, its fields JSON-ready (ids, times, dates as text)."""

    cls: type[Any]
    originator_id: UUID | str  # as read: the relay reads ids as their canonical text
    version: int
    position: int
    fields: dict[str, Any]
    exact: bool = False  # only values orjson writes as `json` does (see `EXACT_SCALARS`)


@dataclass(slots=True)
class Message:
    """One event as a CloudEvent in binary mode: NATS subject, headers, JSON data.

    `headers` holds every attribute as a `ce-` header, the content type, and
    `Nats-Msg-Id` (= `ce-id`), ready to publish.
    """

    subject: str
    headers: dict[str, str]
    data: bytes

    @property
    def attributes(self) -> dict[str, str]:
        """The CloudEvents attributes (without the `ce-` prefix)."""
        return {k[3:]: v for k, v in self.headers.items() if k.startswith("ce-")}

    def structured(self) -> dict[str, Any]:
        """Structured mode (application/cloudevents+json)."""
        return {**self.attributes, "datacontenttype": CONTENT_TYPE,
                "data": json.loads(self.data)}


def _from_stored(obj: dict[str, Any]) -> Any:
    """The library's JSON transcodings, straight to the text the messages carry."""
    kind = obj.get("_type_")
    if kind is None:
        return obj
    data: str = obj["_data_"]
    if kind == "uuid_hex":
        return uuid_text(data)
    if kind in ("datetime_iso", "date_iso"):
        return data
    raise UnmappedEventError(f"stored value of type {kind!r} is not part of the message "
                             "contract")


_decoder = json.JSONDecoder(object_hook=_from_stored)
_scan: Callable[[str, int], tuple[Any, int]] = vars(_decoder)["scan_once"]


def _decode_state(state: bytes | str) -> tuple[dict[str, Any], bool]:
    """A stored state decoded, its transcodings unwrapped, and whether the fast path
    read it (then orjson may encode its values: see `EXACT_SCALARS`).

    orjson reads it, and one flat loop unwraps the ids, datetimes and dates; a state
    with anything else (a nested object, a float, text orjson refuses) goes through
    `json` and its object hook, as the library wrote it.
    """
    try:
        fields = orjson.loads(state)
    except orjson.JSONDecodeError:
        fields = None
    if fields.__class__ is dict and plain_state(fields):
        return fields, True
    return _decode_text(state if isinstance(state, str) else state.decode()), False


def _decode_text(text: str) -> dict[str, Any]:
    """The `json` decoding of a stored state. The library writes compact JSON, so its
    scanner alone reads it (without `decode`'s wrappers); anything else goes through
    the whole decoder and its errors."""
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        end = -1
    if end == len(text) and type(value) is dict:
        return value
    decoded: dict[str, Any] = _decoder.decode(text)
    return decoded


def _not_in_contract(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not part of the message contract")


_full_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"),
                                default=_not_in_contract).encode
# The C encoder that `_full_encode` builds on every call (when the json C accelerator
# is there), built once: the same text without the per-call set-up.
_make = vars(json.encoder).get("c_make_encoder")
_chunks = None if _make is None else _make(
    None, _not_in_contract, json.encoder.encode_basestring, None, ":", ",", False, False,
    True)


def _encode(value: Any) -> str:
    if _chunks is None:
        return _full_encode(value)
    return "".join(_chunks(value, 0))


def read_logged(mapper: Mapper[UUID], stored: StoredEvent, position: int) -> LoggedEvent:
    """The event of a stored record, decoded once into JSON-ready fields."""
    return read_parts(mapper, stored.originator_id, stored.originator_version, stored.topic,
                      stored.state, position)


def read_parts(mapper: Mapper[UUID], originator_id: UUID | str, version: int, topic: str,
               state: bytes, position: int) -> LoggedEvent:
    """The event of a stored record's parts, decoded once into JSON-ready fields.

    States are read as the library wrote them (plain JSON, no cipher or compression:
    `check_mapper` makes sure); an event stored at an older class version goes
    through the library's upcasters instead.
    """
    cls, versioned = _event_class(topic)
    fields, exact = _decode_state(state)
    if versioned or "class_version" in fields:
        stored = StoredEvent(originator_id, version, topic, state)
        return logged_from_event(mapper.to_domain_event(stored), position)
    return LoggedEvent(cls, originator_id, version, position, fields, exact)


@lru_cache(maxsize=1024)
def _event_class(topic: str) -> tuple[type[Any], bool]:
    """The event class of a stored topic, and whether the class is past version 1
    (so a stored state may need the library's upcasters)."""
    cls = resolve_topic(topic)
    return cls, getattr(cls, "class_version", 1) not in (1, None)


def logged_from_event(event: Any, position: int) -> LoggedEvent:
    """A domain event object as a LoggedEvent."""
    fields = json.loads(json.dumps(event.__dict__, default=_plain))
    return LoggedEvent(type(event), event.originator_id, event.originator_version, position,
                       fields)


def check_mapper(mapper: Mapper[UUID]) -> None:
    """Refuse a mapper whose states `read_logged` cannot read as plain JSON (a custom
    mapper, e.g. one that seals personal data, or a cipher or compressor)."""
    if type(mapper) is not Mapper or mapper.cipher is not None or \
            mapper.compressor is not None:
        raise ValueError("the relay reads stored events as the library's plain JSON; with "
                         "a custom mapper, a cipher or a compressor, read_logged in "
                         "services/messages.py must decode through the mapper")


def _plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not part of the message contract")


@lru_cache(maxsize=4096)
def _instant(value: str) -> str:
    if len(value) == 10:  # a business date: its start in Danish time
        return datetime.combine(date.fromisoformat(value), time(), COPENHAGEN).isoformat()
    return value


def sequence_text(position: int) -> str:
    """A log position as `ce-sequence` (zero-padded)."""
    return str(position).zfill(SEQUENCE_DIGITS)


def _attributes(event: LoggedEvent, contract: EventContract) -> tuple[str, str, str, str]:
    """The attributes that vary per event: ce-id, ce-time, ce-sequence, ce-recordedtime."""
    fields = event.fields
    recorded: str = fields["timestamp"]
    return (f"{event.originator_id}:{event.version}",
            _instant(fields[contract.business_time]) if contract.business_time else recorded,
            str(event.position).zfill(SEQUENCE_DIGITS), recorded)


def _body(event: LoggedEvent, contract: EventContract) -> bytes:
    fields = event.fields
    body = {name: fields[name] for name in contract.fields}
    return orjson.dumps(body) if event.exact else _encode(body).encode()


def to_message(event: LoggedEvent, origin: Origin, prefix: str = "casebook") -> Message:
    """The CloudEvent for `event`, to be published under `prefix`."""
    contract = contract_of(event.cls)
    event_id, instant, sequence, recorded = _attributes(event, contract)
    headers = {
        "ce-specversion": SPECVERSION,
        "ce-id": event_id,
        "ce-source": SOURCE,
        "ce-type": contract.type,
        "ce-subject": origin.subject,
        "ce-time": instant,
        "ce-sequence": sequence,
        "ce-recordedtime": recorded,
        "content-type": CONTENT_TYPE,
        "Nats-Msg-Id": event_id,
    }
    return Message(f"{prefix}.{origin.municipality}.{contract.aggregate}.{contract.event}",
                   headers, _body(event, contract))


def to_wire(event: LoggedEvent, origin: Origin, prefix: str = "casebook") -> Outgoing:
    """`to_message`'s CloudEvent as the relay publishes it: the same subject, headers
    (as ready header lines, the constant ones made once per event class) and body,
    with the event's log position."""
    contract = contract_of(event.cls)
    event_id, instant, sequence, recorded = _attributes(event, contract)
    varying = (f"ce-id: {event_id}\r\nNats-Msg-Id: {event_id}\r\n"
               f"ce-subject: {origin.subject}\r\nce-time: {instant}\r\n"
               f"ce-sequence: {sequence}\r\nce-recordedtime: {recorded}\r\n")
    subject = f"{prefix}.{origin.municipality}{contract.subject_tail}"
    if varying.count("\n") != 6 or varying.count("\r") != 6 or not varying.isascii() \
            or not origin.municipality.isalnum():
        raise UnmappedEventError(f"the event at log position {event.position} has a value "
                                 "that cannot be a NATS header or subject")
    return Outgoing(subject, contract.fixed_lines + varying, _body(event, contract),
                    event.position)


def carried_origin(event: LoggedEvent) -> Origin | None:
    """The origin an event states itself (a company's registration, a staff move)."""
    if event.cls is Company.Registered:
        return Origin(event.fields["municipality"], event.fields["cvr"])
    if event.cls is StaffMember.Joined or event.cls is StaffMember.Moved:
        return Origin(event.fields["municipality"], str(event.originator_id))
    if event.cls is Candidate.Registered or event.cls is OutcomeContract.Agreed:
        return Origin(event.fields["municipality"], str(event.originator_id))
    return None
