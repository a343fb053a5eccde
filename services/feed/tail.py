"""`casebook tail`: a durable pull consumer that prints each event on one line.

It is also the worked example of a consumer: bind a durable consumer, fetch a
batch, handle each message, and acknowledge it only after it was handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from infra.jetstream import connect, sequence_of_position
from infra.settings import Settings


@dataclass(frozen=True)
class TailOptions:
    """What to follow and how to print it."""

    subject: str
    durable: str
    from_position: int | None = None
    as_json: bool = False
    limit: int | None = None  # stop after this many events (else follow until stopped)


def line_of(msg: Msg, as_json: bool) -> str:
    """One event as one line: `sequence time type subject id`, or structured JSON."""
    headers = msg.headers or {}
    attributes = {k.removeprefix("ce-"): v for k, v in headers.items() if k.startswith("ce-")}
    if as_json:
        return json.dumps(
            {
                **attributes,
                "datacontenttype": headers.get("content-type"),
                "data": json.loads(msg.data),
            },
            ensure_ascii=False,
        )
    kind = attributes.get("type", "").removeprefix("dk.casebook.")
    return (
        f"{attributes.get('sequence')} {attributes.get('time')} {kind} "
        f"{attributes.get('subject')} {attributes.get('id')}"
    )


async def tail(
    settings: Settings, options: TailOptions, emit: Callable[[str], None], stop: Callable[[], bool]
) -> int:
    """Follow the stream through the durable consumer; return the events printed."""
    nc = await connect(settings.nats_url or "", "casebook-tail")
    js = nc.jetstream()
    stream = settings.nats_stream
    try:
        await _prepare_consumer(js, stream, options)
        sub = await js.pull_subscribe_bind(options.durable, stream=stream)
        printed = 0
        while not stop() and (options.limit is None or printed < options.limit):
            want = 100 if options.limit is None else min(100, options.limit - printed)
            try:
                batch = await sub.fetch(want, timeout=1.0)
            except TimeoutError:
                continue
            for msg in batch:
                emit(line_of(msg, options.as_json))
                await msg.ack()  # only after the event was handled
                printed += 1
        return printed
    finally:
        await nc.drain()


async def _prepare_consumer(js: JetStreamContext, stream: str, options: TailOptions) -> None:
    """Resume the durable consumer, or (re)create it at --from-position."""
    config = ConsumerConfig(
        durable_name=options.durable,
        ack_policy=AckPolicy.EXPLICIT,
        filter_subject=options.subject,
        deliver_policy=DeliverPolicy.ALL,
    )
    if options.from_position is not None:
        config.deliver_policy = DeliverPolicy.BY_START_SEQUENCE
        config.opt_start_seq = await sequence_of_position(js, stream, options.from_position)
        with contextlib.suppress(NotFoundError):
            await js.delete_consumer(stream, options.durable)
    else:
        try:
            info = await js.consumer_info(stream, options.durable)
        except NotFoundError:
            info = None
        if info is not None:
            if info.config.filter_subject != options.subject:
                raise ValueError(
                    f"consumer {options.durable} follows {info.config.filter_subject}; "
                    "choose another --durable, or restart it with --from-position"
                )
            return  # resume where it left off
    await js.add_consumer(stream, config)


def run_tail(
    settings: Settings, options: TailOptions, emit: Callable[[str], None], stop: Callable[[], bool]
) -> int:
    """`tail` from synchronous code."""
    return asyncio.run(tail(settings, options, emit, stop))
