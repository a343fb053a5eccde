"""Each event as a CloudEvent 1.0: the same attributes serve NATS (binary mode: `ce-`
headers, JSON body) and `GET /events` (structured mode). What each event class is on the
wire is its entry in the contract (`services/feed/contract.py`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

import orjson

from domain.candidate import Candidate
from domain.company import Company
from domain.contract import OutcomeContract
from domain.staff import StaffMember
from infra.clock import COPENHAGEN
from infra.jetstream import Outgoing
from services.feed.contract import (
    CONTENT_TYPE,
    SOURCE,
    SPECVERSION,
    EventContract,
    UnmappedEventError,
    contract_of,
)
from services.feed.logged import LoggedEvent

SEQUENCE_DIGITS = 20  # fits any 64-bit position, so text order is log order


@dataclass(frozen=True)
class Origin:
    """Where an aggregate's events go: its municipality and the CloudEvents subject."""

    municipality: str
    subject: str  # the CVR of a company, the id of a staff member


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
        return {**self.attributes, "datacontenttype": CONTENT_TYPE, "data": json.loads(self.data)}


def _not_in_contract(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not part of the message contract")


_full_encode = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), default=_not_in_contract
).encode
# The C encoder that `_full_encode` builds on every call (when the json C accelerator
# is there), built once: the same text without the per-call set-up.
_make = vars(json.encoder).get("c_make_encoder")
_chunks = (
    None
    if _make is None
    else _make(
        None, _not_in_contract, json.encoder.encode_basestring, None, ":", ",", False, False, True
    )
)


def _encode(value: Any) -> str:
    if _chunks is None:
        return _full_encode(value)
    return "".join(_chunks(value, 0))


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
    return (
        f"{event.originator_id}:{event.version}",
        _instant(fields[contract.business_time]) if contract.business_time else recorded,
        str(event.position).zfill(SEQUENCE_DIGITS),
        recorded,
    )


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
    return Message(
        f"{prefix}.{origin.municipality}.{contract.aggregate}.{contract.event}",
        headers,
        _body(event, contract),
    )


def to_wire(event: LoggedEvent, origin: Origin, prefix: str = "casebook") -> Outgoing:
    """`to_message`'s CloudEvent as the relay publishes it: the same subject, headers
    (as ready header lines, the constant ones made once per event class) and body,
    with the event's log position."""
    contract = contract_of(event.cls)
    event_id, instant, sequence, recorded = _attributes(event, contract)
    varying = (
        f"ce-id: {event_id}\r\nNats-Msg-Id: {event_id}\r\n"
        f"ce-subject: {origin.subject}\r\nce-time: {instant}\r\n"
        f"ce-sequence: {sequence}\r\nce-recordedtime: {recorded}\r\n"
    )
    subject = f"{prefix}.{origin.municipality}{contract.subject_tail}"
    if (
        varying.count("\n") != 6
        or varying.count("\r") != 6
        or not varying.isascii()
        or not origin.municipality.isalnum()
    ):
        raise UnmappedEventError(
            f"the event at log position {event.position} has a value "
            "that cannot be a NATS header or subject"
        )
    return Outgoing(subject, contract.fixed_lines + varying, _body(event, contract), event.position)


def carried_origin(event: LoggedEvent) -> Origin | None:
    """The origin an event states itself (a company's registration, a staff move)."""
    if event.cls is Company.Registered:
        return Origin(event.fields["municipality"], event.fields["cvr"])
    if event.cls is StaffMember.Joined or event.cls is StaffMember.Moved:
        return Origin(event.fields["municipality"], str(event.originator_id))
    if event.cls is Candidate.Registered or event.cls is OutcomeContract.Agreed:
        return Origin(event.fields["municipality"], str(event.originator_id))
    return None
