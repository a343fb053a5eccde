"""The fenced publisher against a real nats-server: one ack settles a whole window."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from infra.jetstream import (
    FENCE_HEADER,
    FencedPublisher,
    FenceError,
    Outgoing,
    Tail,
    connect,
    ensure_stream,
    read_tail,
)

Test = Callable[[Client, JetStreamContext, str, str], Awaitable[None]]


def _run(nats_url: str, test: Test) -> None:
    """Run `test` with a connection and a stream of its own, deleted afterwards."""
    tag = uuid.uuid4().hex[:10]
    stream, prefix = f"T_{tag}", f"t{tag}"

    async def main() -> None:
        nc = await connect(nats_url, "test-jetstream", reconnect=False)
        js = nc.jetstream()
        await ensure_stream(js, stream, prefix)
        try:
            await test(nc, js, stream, prefix)
        finally:
            with contextlib.suppress(Exception):
                await js.delete_stream(stream)
            await nc.close()

    asyncio.run(main())


def _window(prefix: str, first: int, count: int) -> list[Outgoing]:
    """`count` messages for log positions first.., each with its own Nats-Msg-Id."""
    return [
        Outgoing(
            f"{prefix}.165.company.contact_logged",
            f"ce-sequence: {p:020}\r\nNats-Msg-Id: {uuid.uuid4()}:{p}\r\n",
            b'{"position":%d}' % p,
            p,
        )
        for p in range(first, first + count)
    ]


async def _refusal(publisher: FencedPublisher, window: list[Outgoing], after: int) -> str:
    """Send `window` after stream sequence `after`; the FenceError its settling raises."""
    sent = await publisher.send(window, after)
    with pytest.raises(FenceError) as caught:
        await publisher.settle(sent)
    return str(caught.value)


def test_a_window_lands_with_its_headers_and_fences_and_one_ack_settles_it(nats_url: str) -> None:
    """Each message of a window is stored in order with its header lines and its fence,
    and the window's one ack settles it at its last sequence."""

    async def test(nc: Client, js: JetStreamContext, stream: str, prefix: str) -> None:
        publisher = FencedPublisher(nc)
        first, second = _window(prefix, 1, 5), _window(prefix, 6, 5)
        sent = [await publisher.send(first, 0), await publisher.send(second, 5)]
        assert [await publisher.settle(s) for s in sent] == [5, 10]
        for sequence, out in enumerate(first + second, start=1):
            stored = await js.get_msg(stream, sequence)
            assert (stored.subject, stored.data) == (out.subject, out.data)
            assert stored.headers == {**out.headers, FENCE_HEADER: str(sequence - 1)}
        assert await read_tail(js, stream) == Tail(10, 10)

    _run(nats_url, test)


def test_a_window_whose_middle_message_is_refused_stores_only_what_came_before_it(
    nats_url: str,
) -> None:
    """A refused middle message is not stored, every later one then fails its fence, and
    the last one's ack (the window's only one) fails the window."""

    async def test(nc: Client, js: JetStreamContext, stream: str, prefix: str) -> None:
        publisher = FencedPublisher(nc)
        window = _window(prefix, 1, 5)
        window[2].head += "Nats-Expected-Stream: NOT_THIS_ONE\r\n"  # refused by the server
        assert "wrong last sequence: 2" in await _refusal(publisher, window, 0)
        assert await read_tail(js, stream) == Tail(2, 2)

    _run(nats_url, test)


def test_a_window_with_a_duplicate_in_the_middle_fails_after_it(nats_url: str) -> None:
    """A middle message whose Nats-Msg-Id the stream already holds is dropped as a
    duplicate, so the rest of the window cannot follow it and the window fails."""

    async def test(nc: Client, js: JetStreamContext, stream: str, prefix: str) -> None:
        publisher = FencedPublisher(nc)
        first = _window(prefix, 1, 3)
        await publisher.settle(await publisher.send(first, 0))
        window = _window(prefix, 4, 4)
        window[1].head = first[0].head  # the same Nats-Msg-Id as stream sequence 1
        assert "wrong last sequence: 4" in await _refusal(publisher, window, 3)
        assert await read_tail(js, stream) == Tail(4, 4)

    _run(nats_url, test)


def test_a_window_the_stream_holds_already_settles_and_nothing_is_stored_twice(
    nats_url: str,
) -> None:
    """A window republished after the stream took it (same ids, same fences) is
    acknowledged as duplicates at the same sequences: settled, and stored once."""

    async def test(nc: Client, js: JetStreamContext, stream: str, prefix: str) -> None:
        publisher = FencedPublisher(nc)
        window = _window(prefix, 1, 3)
        await publisher.settle(await publisher.send(window, 0))
        assert await publisher.settle(await publisher.send(window, 0)) == 3
        assert await read_tail(js, stream) == Tail(3, 3)

    _run(nats_url, test)


def test_a_window_behind_the_streams_tail_fails_and_stores_nothing(nats_url: str) -> None:
    """A window fenced on sequences the stream has passed (a relay that fell behind
    another one) stores nothing and fails."""

    async def test(nc: Client, js: JetStreamContext, stream: str, prefix: str) -> None:
        publisher = FencedPublisher(nc)
        await publisher.settle(await publisher.send(_window(prefix, 1, 3), 0))
        stale = _window(prefix, 1, 2)
        assert "wrong last sequence: 3" in await _refusal(publisher, stale, 0)
        assert await read_tail(js, stream) == Tail(3, 3)

    _run(nats_url, test)
