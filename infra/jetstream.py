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
from nats.errors import ConnectionClosedError
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

SEQUENCE_HEADER = "ce-sequence"
FENCE_HEADER = "Nats-Expected-Last-Sequence"
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
    """A message to publish: `head` is its header lines (`name: value\r\n` each,
    printable ASCII); `send` adds the fence."""

    subject: str
    head: str
    data: bytes
    position: int

    @property
    def headers(self) -> dict[str, str]:
        """The header lines as a mapping (for nats-py's own publish)."""
        return dict(line.split(": ", 1) for line in self.head.split("\r\n") if line)


def servers(url: str) -> list[str]:
    """The servers a CASEBOOK_NATS_URL names: one URL, or several separated by commas
    (the nodes of a cluster; a connection takes any that answers)."""
    return [part.strip() for part in url.split(",") if part.strip()]


async def connect(url: str, name: str, *, reconnect: bool = True, timeout: float = 2.0) -> Client:
    """A connection to any of the URL's servers; with `reconnect` it re-establishes
    itself after a loss (a consumer), without it a loss ends it (the relay, which
    reconnects itself and re-reads the tail)."""
    return await nats.connect(
        servers(url),
        name=name,
        connect_timeout=timeout,
        allow_reconnect=reconnect,
        max_reconnect_attempts=-1 if reconnect else 0,
        reconnect_time_wait=0.5,
        error_cb=_ignore,
        disconnected_cb=_none,
        reconnected_cb=_none,
    )


async def _ignore(_: Exception) -> None:
    return None  # the relay sees failures as publish or request errors


async def _none() -> None:
    return None


def stream_config(stream: str, prefix: str, replicas: int = 1) -> StreamConfig:
    """casebook's stream: every event kept (limits, no age or size cap), on disk, on
    `replicas` nodes of the cluster."""
    return StreamConfig(
        name=stream,
        subjects=[f"{prefix}.>"],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=0,
        max_msgs=-1,
        max_bytes=-1,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=replicas,
    )


async def ensure_stream(js: JetStreamContext, stream: str, prefix: str, replicas: int = 1) -> None:
    """Create the stream if it is missing, with `replicas` copies (an existing stream
    keeps its own); refuse one that does not take our subjects."""
    try:
        info = await js.stream_info(stream)
    except NotFoundError:
        await js.add_stream(stream_config(stream, prefix, replicas))
        return
    subjects = info.config.subjects or []
    if f"{prefix}.>" not in subjects:
        raise StreamMisconfiguredError(
            f"stream {stream} takes {subjects}, not {prefix}.>: choose another "
            "CASEBOOK_NATS_STREAM or CASEBOOK_NATS_SUBJECT_PREFIX"
        )


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
            "resumes from it, so its limits must never remove it"
        ) from None
    value = (msg.headers or {}).get(SEQUENCE_HEADER)
    if value is None:
        raise StreamMisconfiguredError(f"message {last} of {stream} has no {SEQUENCE_HEADER}")
    return Tail(last, int(value))


class Sent:
    """A published window waiting for the ack of its last message (stream sequence
    after+count)."""

    def __init__(self, after: int, count: int) -> None:
        self.after, self.count = after, count
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @property
    def last(self) -> int:
        """The stream sequence the window's last message must get."""
        return self.after + self.count

    def ack(self, data: bytes, status: str | None) -> None:
        """The acknowledgement (or refusal) of the window's last message."""
        if self.done.done():
            return
        if status is not None or b'"error"' in data or not _names(data, self.last):
            self.done.set_exception(
                FenceError(
                    f"message for sequence {self.last}: {status or data.decode(errors='replace')}"
                )
            )
            return
        self.done.set_result(None)


def _names(ack: bytes, sequence: int) -> bool:
    """Whether a JetStream ack ({"stream":..,"seq":N,..}) says sequence N."""
    key = b'"seq":%d' % sequence
    at = ack.find(key)
    return at >= 0 and ack[at + len(key) : at + len(key) + 1] in (b",", b"}")


class FencedPublisher:
    """Publishes windows pipelined, every message fenced on the one before it.

    Every message carries `Nats-Expected-Last-Sequence`, so JetStream stores it
    only directly after its predecessor. Only a window's last message has a reply
    subject (`<inbox>.<sequence it must get>`, one subscription for all): a
    refused message is not stored, so every later one of the window fails its
    fence too, and the last one's ack carries the error or names another
    sequence. (A message stored meanwhile by another publisher at a sequence is
    the same event this one would have stored there.) So one ack that names the
    window's last sequence, without an error, settles the whole window; anything
    else fails it, and the relay re-reads the tail.
    """

    def __init__(self, nc: Client, *, ack_timeout: float = 5.0) -> None:
        self._nc = nc
        self._ack_timeout = ack_timeout
        self._inbox = nc.new_inbox()
        self._open: list[Sent] = []
        self._subscribed = False

    async def _on_ack(self, msg: Msg) -> None:
        sequence = int(msg.subject.rpartition(".")[2])
        status = msg.headers.get("Status") if msg.headers else None
        for sent in self._open:
            if sent.last == sequence:
                sent.ack(msg.data, status)
                return

    async def send(self, batch: Sequence[Outgoing], after: int) -> Sent:
        """Publish `batch` to follow stream sequence `after`; settle the result."""
        if not self._subscribed:
            await self._nc.subscribe(f"{self._inbox}.*", cb=self._on_ack)
            self._subscribed = True
        commands = encode_window(
            batch, after, f"{self._inbox}.{after + len(batch)}", self._nc.max_payload
        )
        sent = Sent(after, len(batch))
        self._open.append(sent)
        await write_commands(self._nc, commands, len(batch))
        return sent

    async def settle(self, sent: Sent) -> int:
        """Wait for the window's ack; the stream's new last sequence, or FenceError."""
        try:
            await asyncio.wait_for(asyncio.shield(sent.done), self._ack_timeout)
        except TimeoutError:
            raise FenceError(
                f"the {sent.count} messages after sequence {sent.after} were "
                "not acknowledged in time"
            ) from None
        finally:
            self._open.remove(sent)
        return sent.last

    def abandon(self, sent: Sent) -> None:
        """Forget a window nobody will settle (after a failure)."""
        if sent in self._open:
            self._open.remove(sent)
        if not sent.done.done():
            sent.done.cancel()
        elif not sent.done.cancelled():
            sent.done.exception()  # retrieved: no "never retrieved" warning


def encode_window(batch: Sequence[Outgoing], after: int, reply: str, max_payload: int) -> bytes:
    """The NATS protocol commands (`HPUB`) of a window: message i fenced on sequence
    after+i, the last one with `reply`.

    The header block is built here from each message's ready header lines, instead
    of nats-py checking and re-encoding every header of every message (the
    relay's largest cost); `Outgoing.head` is casebook's own printable-ASCII text.
    """
    parts: list[bytes] = []
    last = len(batch) - 1
    for i, out in enumerate(batch):
        header = f"NATS/1.0\r\n{out.head}{FENCE_HEADER}: {after + i}\r\n\r\n".encode()
        size = len(header) + len(out.data)
        if size > max_payload:
            raise ValueError(
                f"the message at log position {out.position} is {size} bytes, "
                f"over the server's maximum of {max_payload}"
            )
        to = f" {reply}" if i == last else ""
        parts.append(f"HPUB {out.subject}{to} {len(header)} {size}\r\n".encode())
        parts.append(header)
        parts.append(out.data)
        parts.append(b"\r\n")
    return b"".join(parts)


async def write_commands(nc: Client, commands: bytes, count: int) -> None:
    """Hand encoded protocol commands to nats-py's outgoing buffer and its flusher.

    The one use of nats-py internals (`_send_command`, `_flush_queue`,
    `_flush_pending`, as in `Client._send_publish` of nats-py 2.16; pinned by
    tests/integration/test_jetstream.py): what `publish` does for each message
    after its checks and header encoding, done once for a whole window. The
    relay's connection does not reconnect, so a lost connection is an error
    here, never a buffered publish.
    """
    if nc.is_closed or not nc.is_connected:
        raise ConnectionClosedError
    nc.stats["out_msgs"] += count
    nc.stats["out_bytes"] += len(commands)
    await nc._send_command(commands)
    if nc._flush_queue is not None and nc._flush_queue.empty():
        await nc._flush_pending()


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
