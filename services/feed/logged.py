"""Stored events read for other services: each decoded once into JSON-ready fields, as
the library wrote them (or through its upcasters for an older class version)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import resolve_topic

from projections.base import json_default
from services.feed.contract import UnmappedEventError
from services.read.decoding import plain_state, uuid_text


@dataclass(slots=True)
class LoggedEvent:
    """An event as read from the log, its fields JSON-ready (ids, times, dates as text)."""

    cls: type[Any]
    originator_id: UUID | str  # as read: the relay reads ids as their canonical text
    version: int
    position: int
    fields: dict[str, Any]
    exact: bool = False  # only values orjson writes as `json` does (see `EXACT_SCALARS`)


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
    raise UnmappedEventError(f"stored value of type {kind!r} is not part of the message contract")


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


def read_logged(mapper: Mapper[UUID], stored: StoredEvent, position: int) -> LoggedEvent:
    """The event of a stored record, decoded once into JSON-ready fields."""
    return read_parts(
        mapper,
        stored.originator_id,
        stored.originator_version,
        stored.topic,
        stored.state,
        position,
    )


def read_parts(
    mapper: Mapper[UUID],
    originator_id: UUID | str,
    version: int,
    topic: str,
    state: bytes,
    position: int,
) -> LoggedEvent:
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
    fields = json.loads(json.dumps(event.__dict__, default=json_default))
    return LoggedEvent(type(event), event.originator_id, event.originator_version, position, fields)


def check_mapper(mapper: Mapper[UUID]) -> None:
    """Refuse a mapper whose states `read_logged` cannot read as plain JSON (a custom
    mapper, e.g. one that seals personal data, or a cipher or compressor)."""
    if type(mapper) is not Mapper or mapper.cipher is not None or mapper.compressor is not None:
        raise ValueError(
            "the relay reads stored events as the library's plain JSON; with "
            "a custom mapper, a cipher or a compressor, read_logged in "
            "services/feed/logged.py must decode through the mapper"
        )
