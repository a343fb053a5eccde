"""Decoding the stored log cheaply, for rebuilds.

The library's mapper decodes every nested value through a Python `object_hook`
and makes a `UUID` of every id; a rebuild decodes the whole log, and there that
is most of the work. This decoder does a plain `orjson.loads` and converts the
few typed values casebook stores (ids, datetimes, dates) itself. The event it
gives is an instance of the real event class with the same state as the
mapper's, except that ids are their canonical strings (`str()` of the UUID) and
datetimes and dates their ISO 8601 text (`isoformat()`, as the library stored
them): read models only ever store them as text (`str(...)`, `plain(...)`,
`utc_text(...)`, `business_text(...)`, which take the text as it is), so their
rows are the same (tests/integration/test_rebuild_equivalence.py checks it), and
a rebuild neither parses nor formats a datetime.
Anything else (a cipher or compressor, an upcast, a value of another type, a
nested object, a float: orjson reads an integer beyond 64 bits as one) goes
through the mapper as before.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper, Notification, StoredEvent
from eventsourcing.utils import resolve_topic

from infra.recorder import LogRow

Decoded = Any  # a domain event (see the module docstring)
ID_CACHE = 100_000  # aggregates whose id text is kept (companies, staff, candidates)


def uuid_text(data: str) -> str:
    """The canonical text of the id the library stores as `{"_type_": "uuid_hex",
    "_data_": data}`: `str(UUID(hex=data))` without making the UUID."""
    return f"{data[:8]}-{data[8:12]}-{data[12:16]}-{data[16:20]}-{data[20:]}"


# A NUL character in stored JSON: `\u0000` after an even number of backslashes (an odd
# number makes it the text "\u0000" of a literal backslash).
_NUL = re.compile(rb"(?<!\\)((?:\\\\)*)\\u0000")
NUL_STANDS_IN = b"\\ufffd"  # what the read models hold for one: U+FFFD


def storable_state(state: bytes) -> bytes:
    """The stored state with each NUL character of its text as U+FFFD, the replacement
    character: the commands refuse NUL now, but a log written by an earlier release may
    hold one, and PostgreSQL holds none in text. Every read model decodes the log through
    this, on every store and in every rebuild, so their rows agree."""
    if b"\\u0000" not in state:  # (one scan of the bytes: the common case)
        return state
    return _NUL.sub(lambda m: m.group(1) + NUL_STANDS_IN, state)


def to_event(mapper: Mapper[Any], notification: Notification) -> Decoded:
    """A notification's domain event as the read models take it (`storable_state`)."""
    state = storable_state(notification.state)
    if state is not notification.state:
        notification = dataclasses.replace(notification, state=state)
    return mapper.to_domain_event(notification)


# The values orjson reads (and writes) exactly as `json` does. No float: orjson reads
# an integer beyond 64 bits as one, and writes some differently (1e-07 as 1e-7).
EXACT_SCALARS: frozenset[type] = frozenset({str, int, bool, type(None)})
_TIMES = frozenset({"datetime_iso", "date_iso"})  # kept as the ISO text they were stored as


def plain_state(state: dict[str, Any]) -> bool:
    """Convert the state (as orjson read it) in place: ids to their text, datetimes and
    dates to the ISO text they were stored as; False when the mapper must do it: a nested
    object, or a value or list item of a class not in `EXACT_SCALARS`.

    (One flat loop: this runs for every event of the log.)"""
    for name, value in state.items():
        cls = value.__class__
        if cls is dict:
            data = value.get("_data_")
            if data.__class__ is not str or len(value) != 2:
                return False
            kind = value.get("_type_")
            if kind == "uuid_hex" and len(data) == 32:  # uuid_text, inline (a call costs)
                state[name] = f"{data[:8]}-{data[8:12]}-{data[12:16]}-{data[16:20]}-{data[20:]}"
            elif kind in _TIMES:
                state[name] = data
            else:
                return False
        elif cls is list:
            for item in value:  # a loop, not any(): no generator per list
                if item.__class__ not in EXACT_SCALARS:
                    return False
        elif cls not in EXACT_SCALARS:
            return False
    return True


class LogDecoder:
    """Turns rows of `read_log` into events, cheaply where it can (see module)."""

    def __init__(self, mapper: Mapper[Any]) -> None:
        self._mapper = mapper
        self._fast = mapper.cipher is None and mapper.compressor is None
        self._ids: dict[Any, str] = {}
        self._classes: dict[str, tuple[type, int] | None] = {}

    def __call__(self, row: LogRow) -> Decoded:
        """The event stored in this row."""
        _, originator_id, version, topic, state = row
        state = storable_state(state)
        shape = self._classes[topic] if topic in self._classes else self._class(topic)
        if shape is not None:
            cls, class_version = shape
            try:
                values = orjson.loads(state)
            except orjson.JSONDecodeError:  # e.g. NaN, which orjson refuses: the mapper's
                values = None
            if (
                values is not None
                and values.pop("class_version", 1) == class_version
                and plain_state(values)
            ):
                values["originator_id"] = self._ids.get(originator_id) or self._id(originator_id)
                values["originator_version"] = version
                event: Any = object.__new__(cls)
                object.__setattr__(event, "__dict__", values)
                return event
        return self._mapper.to_domain_event(StoredEvent(originator_id, version, topic, state))

    def _class(self, topic: str) -> tuple[type, int] | None:
        """The topic's class and class version, None if only the mapper may decode it."""
        cls = resolve_topic(topic)
        shape = (cls, getattr(cls, "class_version", 1)) if self._fast else None
        self._classes[topic] = shape
        return shape

    def _id(self, originator_id: Any) -> str:
        text = self._ids.get(originator_id)
        if text is None:
            if len(self._ids) >= ID_CACHE:
                self._ids.clear()
            uuid = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
            text = self._ids[originator_id] = str(uuid)
        return text


def wanted_topics(wants: Callable[[type], bool]) -> Callable[[str], bool]:
    """A cached test of a stored topic: does any read model being rebuilt want it?"""
    known: dict[str, bool] = {}

    def wanted(topic: str) -> bool:
        answer = known.get(topic)
        if answer is None:
            answer = known[topic] = wants(resolve_topic(topic))
        return answer

    return wanted
