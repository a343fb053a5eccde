"""The hashes of tamper evidence: a chain per stream and a running digest of the log.

For each stored event at log position p:
    h_p = SHA-256(prev ‖ id ‖ version ‖ position ‖ len(topic) ‖ topic ‖ state)
where prev is h of the same stream's previous version (32 zero bytes for the
first), id the 16 bytes of the stream id, version and position 8-byte
big-endian, len(topic) 4-byte big-endian; and the running digest
    d_p = SHA-256(d_(p-1) ‖ h_p), starting from 32 zero bytes,
over the events in position order. Anyone can recompute both from an export.
"""

from __future__ import annotations

import hashlib
import struct
from typing import Any
from uuid import UUID

ZERO = bytes(32)
_HEAD = struct.Struct(">16sqqI")


def event_hash(
    prev: bytes, originator_id: Any, version: int, position: int, topic: str, state: bytes
) -> bytes:
    """h of one stored event (the canonical record: id, version, position, topic, state);
    the stream id as a UUID, its text, or its 16 bytes."""
    if isinstance(originator_id, bytes):
        stream = originator_id
    elif isinstance(originator_id, UUID):
        stream = originator_id.bytes
    else:
        stream = UUID(str(originator_id)).bytes
    return stream_event_hash(prev, stream, version, position, topic, state)


def stream_event_hash(
    prev: bytes, stream: bytes, version: int, position: int, topic: str, state: bytes
) -> bytes:
    """`event_hash` with the stream id as its 16 bytes (verify's inner loop)."""
    encoded = topic.encode()
    h = hashlib.sha256(prev)
    h.update(_HEAD.pack(stream, version, position, len(encoded)))
    h.update(encoded)
    h.update(state)
    return h.digest()


def next_digest(digest: bytes, h: bytes) -> bytes:
    """The running digest after one more event."""
    return hashlib.sha256(digest + h).digest()
