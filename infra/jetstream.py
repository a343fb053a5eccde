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

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
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


@dataclass(slots=True)
class Outgoing:
    """A message to publish (`send` adds the fence to its headers)."""

    subject: str
    headers: dict[str, str]
    data: bytes
    position: int


async def connect(url: str, name: str, *, reconnect: bool = True,
                  timeout: float = 2.0) -> Client:
    """A connection; with `reconnect` it re-establishes itself after a loss (a consumer),
    without it a loss ends it (the relay, which reconnects itself and re-reads the tail)."""
    return await nats.connect(
        url, name=name, connect_timeout=timeout, allow_reconnect=reconnect,
        max_reconnect_attempts=-1 if reconnect else 0, reconnect_time_wait=0.5,
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


class Sent:
    """A published batch waiting for its acks: stream sequences after+1 .. after+count."""

    def __init__(self, after: int, count: int) -> None:
        self.after, self.count, self.acked = after, count, 0
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def ack(self, sequence: int, data: bytes, status: str | None) -> None:
        """One acknowledgement (or refusal) of the message meant for `sequence`."""
        if self.done.done():
            return
        if status is not None or b'"error"' in data or not _names(data, sequence):
            self.done.set_exception(FenceError(
                f"message for sequence {sequence}: {status or data.decode(errors='replace')}"))
            return
        self.acked += 1
        if self.acked == self.count:
            self.done.set_result(None)


def _names(ack: bytes, sequence: int) -> bool:
    """Whether a JetStream ack ({"stream":..,"seq":N,..}) says sequence N."""
    key = b'"seq":%d' % sequence
    at = ack.find(key)
    return at >= 0 and ack[at + len(key):at + len(key) + 1] in (b",", b"}")


class FencedPublisher:
    """Publishes batches pipelined, each message fenced on the one before it.

    Plain publishes with a reply subject per message (`<inbox>.<sequence it must
    get>`) and one subscription for all acks: a fraction of the bookkeeping of
    `publish_async` per message (no future, token, semaphore or PubAck each).
    An ack counts only if it names that sequence and no error; anything else
    fails the batch, and the relay re-reads the tail.
    """

    def __init__(self, nc: Client, *, ack_timeout: float = 5.0) -> None:
        self._nc = nc
        self._ack_timeout = ack_timeout
        self._inbox = nc.new_inbox()
        self._open: list[Sent] = []
        self._subscribed = False

    async def _on_ack(self, msg: Msg) -> None:
        sequence = int(msg.subject.rpartition(".")[2])
        status = (msg.headers or {}).get("Status") if msg.headers else None
        for sent in self._open:
            if sent.after < sequence <= sent.after + sent.count:
                sent.ack(sequence, msg.data, status)
                return

    async def send(self, batch: Sequence[Outgoing], after: int) -> Sent:
        """Publish `batch` to follow stream sequence `after`; settle the result."""
        if not self._subscribed:
            await self._nc.subscribe(f"{self._inbox}.*", cb=self._on_ack,
                                     pending_msgs_limit=-1, pending_bytes_limit=-1)
            self._subscribed = True
        sent = Sent(after, len(batch))
        self._open.append(sent)
        publish, inbox = self._nc.publish, self._inbox
        for i, out in enumerate(batch):
            out.headers["Nats-Expected-Last-Sequence"] = str(after + i)
            await publish(out.subject, out.data, reply=f"{inbox}.{after + i + 1}",
                          headers=out.headers)
        return sent

    async def settle(self, sent: Sent) -> int:
        """Wait for every ack of `sent`; the stream's new last sequence, or FenceError."""
        try:
            await asyncio.wait_for(asyncio.shield(sent.done), self._ack_timeout)
        except TimeoutError:
            raise FenceError(f"{sent.count - sent.acked} of {sent.count} messages after "
                             f"sequence {sent.after} not acknowledged in time") from None
        finally:
            self._open.remove(sent)
        return sent.after + sent.count

    def abandon(self, sent: Sent) -> None:
        """Forget a batch nobody will settle (after a failure)."""
        if sent in self._open:
            self._open.remove(sent)
        if not sent.done.done():
            sent.done.cancel()
        elif not sent.done.cancelled():
            sent.done.exception()  # retrieved: no "never retrieved" warning


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
