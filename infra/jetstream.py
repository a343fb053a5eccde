"""NATS JetStream plumbing: the stream, its tail, and fenced pipelined publishing.

The stream is the relay's source of truth: a relay resumes after the event in
the stream's last message, and every publish carries
`Nats-Expected-Last-Sequence` (the stream sequence it must follow), so a
message is stored only directly after its predecessor. Whoever sends a
message expected after sequence N sends the same event (the one after the
event at N), so two relays, or a relay and its own republished leftovers,
can neither interleave nor leave a gap; a publish that loses the race fails
and the loser re-reads the tail.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

SEQUENCE_HEADER = "ce-sequence"
DUPLICATE_WINDOW_SECONDS = 120.0


class StreamMisconfiguredError(Exception):
    """The stream exists but cannot hold casebook's subjects, or lost its last message."""


class FenceError(Exception):
    """A publish was refused or not acknowledged in time; re-read the stream's tail."""


@dataclass(frozen=True)
class Tail:
    """The stream's last message: its stream sequence and the log position it holds."""

    sequence: int
    position: int


@dataclass(frozen=True)
class Outgoing:
    """A message to publish (`send` adds the fence to its headers)."""

    subject: str
    headers: dict[str, str]
    data: bytes
    position: int


async def connect(url: str, name: str, *, timeout: float = 2.0) -> Client:
    """A connection that reconnects on its own after it was established once."""
    return await nats.connect(
        url, name=name, connect_timeout=timeout, allow_reconnect=True,
        max_reconnect_attempts=-1, reconnect_time_wait=0.5,
        error_cb=_ignore, disconnected_cb=_none, reconnected_cb=_none,
    )


async def _ignore(_: Exception) -> None:
    return None  # the relay sees failures as publish or request errors


async def _none() -> None:
    return None


def stream_config(stream: str, prefix: str) -> StreamConfig:
    """casebook's stream: every event kept (limits, no age or size cap), on disk."""
    return StreamConfig(
        name=stream, subjects=[f"{prefix}.>"], retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE, discard=DiscardPolicy.OLD, max_age=0, max_msgs=-1,
        max_bytes=-1, duplicate_window=DUPLICATE_WINDOW_SECONDS, num_replicas=1,
    )


async def ensure_stream(js: JetStreamContext, stream: str, prefix: str) -> None:
    """Create the stream if it is missing; refuse one that does not take our subjects."""
    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        await js.add_stream(stream_config(stream, prefix))
        return
    subjects = info.config.subjects or []
    if f"{prefix}.>" not in subjects:
        raise StreamMisconfiguredError(
            f"stream {stream} takes {subjects}, not {prefix}.>: choose another "
            "CASEBOOK_NATS_STREAM or CASEBOOK_NATS_SUBJECT_PREFIX")


async def read_tail(js: JetStreamContext, stream: str) -> Tail:
    """The stream's last sequence and the log position its last message carries."""
    info = await js.stream_info(stream)
    last = info.state.last_seq
    if not last:
        return Tail(0, 0)
    try:
        msg = await js.get_msg(stream, last)
    except NotFoundError:
        raise StreamMisconfiguredError(
            f"stream {stream} no longer holds its last message (sequence {last}); the relay "
            "resumes from it, so its limits must never remove it") from None
    value = (msg.headers or {}).get(SEQUENCE_HEADER)
    if value is None:
        raise StreamMisconfiguredError(f"message {last} of {stream} has no {SEQUENCE_HEADER}")
    return Tail(last, int(value))


class FencedPublisher:
    """Publishes batches pipelined, each message fenced on the one before it."""

    def __init__(self, js: JetStreamContext, *, ack_timeout: float = 5.0) -> None:
        self._js = js
        self._ack_timeout = ack_timeout

    async def send(self, batch: Sequence[Outgoing], after: int) -> list[asyncio.Future[Any]]:
        """Publish `batch` to follow stream sequence `after`; acks are the futures."""
        futures = []
        publish = self._js.publish_async
        for i, out in enumerate(batch):
            out.headers["Nats-Expected-Last-Sequence"] = str(after + i)
            futures.append(await publish(out.subject, out.data, headers=out.headers))
        return futures

    async def settle(self, futures: list[asyncio.Future[Any]], after: int) -> int:
        """Wait for every ack; the stream's new last sequence, or FenceError."""
        try:
            done = await asyncio.wait_for(asyncio.gather(*futures), self._ack_timeout)
        except (TimeoutError, nats.errors.Error) as e:
            for f in futures:
                f.cancel()
            raise FenceError(f"{type(e).__name__}: {e}") from e
        for i, ack in enumerate(done):
            if ack.seq != after + i + 1:
                raise FenceError(f"acknowledged at sequence {ack.seq}, expected {after + i + 1}")
        return after + len(done)


async def sequence_of_position(js: JetStreamContext, stream: str, position: int) -> int:
    """The stream sequence of the first message at log position `position` or later
    (one past the last when there is none): a binary search on `ce-sequence`."""
    info = await js.stream_info(stream)
    low, high = info.state.first_seq or 1, info.state.last_seq + 1
    while low < high:
        middle = (low + high) // 2
        msg = await js.get_msg(stream, middle)
        if int((msg.headers or {}).get(SEQUENCE_HEADER, 0)) < position:
            low = middle + 1
        else:
            high = middle
    return low
