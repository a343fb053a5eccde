"""The relay: the event log is the outbox, and every event goes to NATS JetStream once.

It resumes after the event in the stream's last message (the stream, not a
saved position, is the truth: a resume stays exact after an outage longer
than JetStream's duplicate window), reads the log in order in batches,
publishes each batch pipelined and fenced (see infra/jetstream.py), and
records the position it reached in `casebook_relay` only after the
acknowledgement, for /readyz and /metrics of any process. Any failure
(NATS down, a publish refused because another relay got there first) ends
the session: it reconnects with backoff and re-reads the tail.

Of several relays of a stream, the one holding its lock publishes; the others
stand by and take over when it dies (services/feed/leader.py). A relay that
loses its lock stops publishing before its next batch and stands by again.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from infra.jetstream import (
    FencedPublisher,
    FenceError,
    Outgoing,
    Sent,
    Tail,
    connect,
    ensure_stream,
    read_tail,
)
from infra.recorder import LogRow
from infra.settings import Settings
from services.eventstore import CasebookApplication
from services.feed.contract import UnmappedEventError
from services.feed.leader import (
    AdvisoryLock,
    Leadership,
    LeadershipLostError,
    Unfenced,
    wait_for_lock,
)
from services.feed.logged import check_mapper, read_parts
from services.feed.messages import to_wire
from services.feed.origins import Origins
from services.feed.positions import save_position
from services.feed.readahead import ReadAhead
from services.read.db import ProjectionDb

log = structlog.get_logger(__name__)
SAVE_INTERVAL_SECONDS = 0.5  # the saved position is for /readyz and /metrics only
STOP_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class _Inflight:
    """A sent batch awaiting its acks, and where it takes the stream and the relay."""

    sent: Sent
    reached: Tail


@dataclass
class RelayStatus:
    """What /readyz and /metrics show of an in-process relay."""

    stream: str
    position: int
    sequence: int
    connected: bool
    error: str | None
    active: bool
    worker: str


class Relay:
    """Follows the log and publishes it to the stream; one asyncio loop of its own."""

    def __init__(
        self,
        app: CasebookApplication,
        views: ProjectionDb,
        settings: Settings,
        leader: Leadership | None = None,
    ) -> None:
        if not settings.nats_url:
            raise ValueError("CASEBOOK_NATS_URL is not set: the relay needs a NATS server")
        check_mapper(app.mapper)
        self.app, self.views, self.settings = app, views, settings
        self.stream, self.prefix = settings.nats_stream, settings.nats_subject_prefix
        self.origins = Origins(app)
        if leader is None:  # PostgreSQL: any number of relays, one publishing
            postgres = settings.backend == "postgres"
            leader = AdvisoryLock(settings, self.stream) if postgres else Unfenced()
        self.leader = leader
        self.active = False
        self.position = self.sequence = 0
        self.connected = False
        self.error: str | None = None
        self.fatal: Exception | None = None
        self.published = 0
        self._saved_at = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stopped: asyncio.Event | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None

    # --- running in a thread (embedded mode) or in the caller's loop (CLI) ----

    def start(self) -> None:
        """Run in a background thread until `stop`."""
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self.run()), name="relay", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop after the batch in flight (it is acknowledged or re-sent on the next start)."""
        self._stopping = True
        loop, stopped = self._loop, self._stopped
        if loop is not None and stopped is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(stopped.set)
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=15)

    def wake(self, position: int = 0) -> None:
        """New events were committed (callable from any thread)."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(wake.set)

    def status(self) -> RelayStatus:
        """Position, connection and last error, for /readyz."""
        at = (self.stream, self.position, self.sequence)
        return RelayStatus(*at, self.connected, self.error, self.active, self.leader.worker)

    async def run(self) -> None:
        """Relay until `stop`; reconnect with backoff; an unmapped event is fatal."""
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        self._stopped = asyncio.Event()
        try:
            await self._run()
        finally:
            self.connected = self.active = False
            await self.leader.release()

    async def _run(self) -> None:
        assert self._stopped is not None
        backoff, poll = 0.2, self.settings.relay_standby_poll_seconds
        while not self._stopping:
            try:  # stand by until this relay holds the stream's lock
                if not await wait_for_lock(self.leader, self.stream, poll, self._stopped):
                    break
                if not self.active:
                    log.info("relay_active", stream=self.stream, worker=self.leader.worker)
                self.active = True
                await self._session_until_stopped()
            except LeadershipLostError as e:  # stopped publishing: stand by again
                self.active = self.connected = False
                log.warning("relay_standby", reason=str(e), worker=self.leader.worker)
                backoff = poll  # a standby that has been waiting goes first
            except UnmappedEventError as e:
                self.fatal, self.error, self.connected = e, type(e).__name__, False
                log.error("relay_stopped", reason=str(e), position=self.position)
                return
            except FenceError as e:
                log.info("relay_fenced", reason=str(e), position=self.position)
                backoff = 0.2  # another publisher moved the tail: re-read it soon
            except Exception as e:  # NATS or the event store: log, show, back off, retry
                self.error, self.connected = type(e).__name__, False
                log.warning(
                    "relay_failed",
                    error=type(e).__name__,
                    reason=str(e),
                    position=self.position,
                    retry_in=backoff,
                )
            if self._stopping:
                break
            await self._sleep(backoff)
            backoff = min(backoff * 2, 10.0)

    async def _sleep(self, seconds: float) -> None:
        assert self._stopped is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopped.wait(), seconds)

    # --- one connected session -------------------------------------------

    async def _session_until_stopped(self) -> None:
        """Run a session; on `stop`, let it finish its batch for a few seconds, then
        cancel it (it may be waiting for a NATS server that does not answer)."""
        assert self._stopped is not None
        session = asyncio.create_task(self._session())
        stopped = asyncio.create_task(self._stopped.wait())
        await asyncio.wait({session, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not session.done():
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(session, STOP_GRACE_SECONDS)
            return
        session.result()  # raises what ended it

    async def _session(self) -> None:
        nc = await connect(self.settings.nats_url or "", "casebook-relay", reconnect=False)
        try:
            js = nc.jetstream()
            await ensure_stream(js, self.stream, self.prefix, self.settings.nats_replicas)
            tail = await read_tail(js, self.stream)
            self.position, self.sequence = tail.position, tail.sequence
            await self._save(tail)
            self.connected, self.error = True, None
            log.info(
                "relay_resumed", stream=self.stream, position=tail.position, sequence=tail.sequence
            )
            await self._follow(FencedPublisher(nc), lambda: nc.is_connected)
        finally:
            self.connected = False
            await nc.close()

    async def _follow(self, publisher: FencedPublisher, connected: Callable[[], bool]) -> None:
        """Publish batch after batch, one batch's acks outstanding while the next goes."""
        assert self._wake is not None
        inflight: _Inflight | None = None
        position, sequence = self.position, self.sequence
        reader = ReadAhead(self._select, self.settings.relay_batch_size)
        try:
            while not self._stopping:
                try:
                    # Mapped in this thread; only the reading is in the reader's (one
                    # ack per window: a reader holding the GIL stalls little here).
                    batch = self._map(await reader.after(position))
                except UnmappedEventError:
                    if inflight is not None:  # what came before it is published, then stop
                        await self._settle(publisher, inflight, save=True)
                    raise
                if not batch:
                    if inflight is not None:
                        await self._settle(publisher, inflight, save=True)
                        inflight = None
                        continue
                    if not connected():  # found out while idle, not at the next publish
                        raise ConnectionError("lost the connection to NATS")
                    await self.leader.check()  # a lost lock shows while idle too
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), 1.0)
                    continue
                await self.leader.check()  # the fence: no batch without the lock
                sent = _Inflight(
                    await publisher.send(batch, sequence),
                    Tail(sequence + len(batch), batch[-1].position),
                )
                previous, inflight = inflight, sent
                if previous is not None:
                    await self._settle(publisher, previous, save=False)
                position, sequence = sent.reached.position, sent.reached.sequence
            if inflight is not None:
                await self._settle(publisher, inflight, save=True)
                inflight = None
        finally:
            reader.close()
            if inflight is not None:  # a failure: nobody will await these acks
                publisher.abandon(inflight.sent)

    async def _settle(self, publisher: FencedPublisher, sent: _Inflight, *, save: bool) -> None:
        """Await a batch's acks; then (at most twice a second, or when asked) save."""
        await publisher.settle(sent.sent)
        self.position, self.sequence = sent.reached.position, sent.reached.sequence
        self.published += sent.sent.count
        if save or time.monotonic() - self._saved_at >= SAVE_INTERVAL_SECONDS:
            await self._save(sent.reached)

    def _read(self, position: int) -> list[Outgoing]:
        """The next batch of the log after `position`, as messages."""
        return self._map(self._select(position))

    def _select(self, position: int) -> Sequence[LogRow]:
        return self.app.store.read_log(position + 1, self.settings.relay_batch_size, text_ids=True)

    def _map(self, rows: Sequence[LogRow]) -> list[Outgoing]:
        """The messages of `rows`, up to an unmapped event (raised if first)."""
        out: list[Outgoing] = []
        mapper, origins, prefix = self.app.mapper, self.origins, self.prefix
        for position, originator_id, version, topic, state in rows:
            try:
                event = read_parts(mapper, originator_id, version, topic, state, position)
                out.append(to_wire(event, origins.of(event), prefix))
            except UnmappedEventError:
                if out:  # publish the events before it; the next read raises
                    return out
                raise
        return out

    async def _save(self, tail: Tail) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._save_sync, tail)

    def _save_sync(self, tail: Tail) -> None:
        self._saved_at = time.monotonic()
        save_position(self.views, self.stream, tail.position, tail.sequence)
