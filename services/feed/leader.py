"""Which of several `casebook relay` processes publishes: a PostgreSQL session advisory lock.

Every relay of a stream holds a shared "member" lock on a connection of its own
(so /readyz can list them) and tries, every CASEBOOK_RELAY_STANDBY_POLL_SECONDS,
the stream's exclusive "leader" lock; the one that gets it publishes, the others
stand by. Both keys are per (schema, stream). A holder that dies (SIGKILL, OOM,
its host gone) loses its connection, and PostgreSQL frees its locks with it; the
next poll of a standby takes over, resuming from the stream's last message.

Fencing: before each batch the holder checks its lock connection (a round trip,
bounded by CHECK_TIMEOUT_SECONDS; while the connection lives, the session lock is
held). A failed or slow check means the lock may be gone: the relay stops
publishing and goes back to standing by. The server side notices a silent holder
only by TCP keepalive (set below to ~11 s), so a holder cut off from PostgreSQL
fences itself (≤ 2 s) before its lock can pass on. Whatever slips through anyway
(a batch sent just before the loss) cannot break the stream: every message is
fenced on its stream sequence (infra/jetstream.py), so a deposed holder's late
message is refused or is the very message its successor would have stored there.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import socket
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg
import structlog

from infra.persistence import postgres_conninfo
from infra.settings import Settings
from services.read.db import ProjectionDb

log = structlog.get_logger(__name__)
CHECK_TIMEOUT_SECONDS = 2.0
CONNECT_TIMEOUT_SECONDS = 5
APPLICATION = "casebook-relay"
# The server drops a holder it cannot reach after ~5 + 2 x 3 s, freeing its lock.
SERVER_KEEPALIVES = (
    "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3"
)


class LeadershipLostError(Exception):
    """The lock's connection failed or did not answer in time: stop publishing."""


class Leadership(Protocol):
    """Who may publish: `acquire` tries once, `check` fences, `release` lets go."""

    worker: str

    async def acquire(self) -> bool: ...
    async def check(self) -> None: ...
    async def release(self) -> None: ...


class Unfenced:
    """Always the publisher: the embedded mode (one process), and tests of the stream's
    own fence with two publishers at once."""

    def __init__(self) -> None:
        self.worker = worker_id()

    async def acquire(self) -> bool:
        return True

    async def check(self) -> None:
        return None

    async def release(self) -> None:
        return None


def worker_id() -> str:
    """This process, as /readyz names a relay: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _key(text: str) -> int:
    """A signed 64-bit advisory lock key for `text`."""
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_keys(schema: str, stream: str) -> tuple[int, int]:
    """The (leader, member) advisory lock keys of `stream` relayed from `schema`."""
    of = f"{schema}:{stream}"
    return _key(f"casebook-relay:{of}"), _key(f"casebook-relay-member:{of}")


class AdvisoryLock:
    """The leader lock of one stream on a PostgreSQL connection kept for it."""

    def __init__(self, settings: Settings, stream: str, worker: str | None = None) -> None:
        self.worker = worker or worker_id()
        self.leader_key, self.member_key = lock_keys(settings.postgres_schema, stream)
        self._conninfo = psycopg.conninfo.make_conninfo(
            postgres_conninfo(settings),
            application_name=f"{APPLICATION} {self.worker}"[:63],
            options=SERVER_KEEPALIVES,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            keepalives=1,
            keepalives_idle=5,
            keepalives_interval=2,
            keepalives_count=3,
        )
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self.held = False

    async def acquire(self) -> bool:
        """Try once to take the lock (a standby's poll): whether this process holds it.
        A connection failure is raised (the relay backs off and tries again)."""
        if self.held:
            return True
        try:
            conn = await self._connection()
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (self.leader_key,))
                row = await cur.fetchone()
        except BaseException:
            await self._close()
            raise
        self.held = bool(row and row[0])
        return self.held

    async def check(self) -> None:
        """Raise LeadershipLostError unless the lock's connection answers in time."""
        if not self.held or self._conn is None:
            raise LeadershipLostError("this relay does not hold the lock")
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                await self._conn.execute("SELECT 1")
        except (psycopg.Error, OSError, TimeoutError) as e:
            await self._close()
            raise LeadershipLostError(f"the lock's connection failed: {type(e).__name__}") from e

    async def release(self) -> None:
        """Let go of the lock and the membership (closing the connection frees both)."""
        await self._close()

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None or self._conn.closed:
            conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
            try:
                await conn.execute("SELECT pg_advisory_lock_shared(%s)", (self.member_key,))
            except BaseException:
                await conn.close()
                raise
            self._conn = conn
        return self._conn

    async def _close(self) -> None:
        self.held = False
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()


async def wait_for_lock(
    leader: Leadership, stream: str, poll: float, stopped: asyncio.Event
) -> bool:
    """Try the lock every `poll` seconds until this relay holds it (True) or `stopped`
    is set (False); say so once when it has to stand by."""
    waiting = False
    while not stopped.is_set():
        if await leader.acquire():
            return True
        if not waiting:
            log.info("relay_standby", stream=stream, worker=leader.worker)
            waiting = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopped.wait(), poll)
    return False


@dataclass(frozen=True)
class Members:
    """The relays of a stream connected to PostgreSQL now: the publisher and the others."""

    active: str | None
    standby: list[str]


def relay_members(views: ProjectionDb, stream: str) -> Members | None:
    """Who holds the stream's leader lock, and who else is a member, of any process
    (PostgreSQL; None on the embedded stores, where the one process relays)."""
    if views.settings.backend != "postgres":
        return None
    leader, member = lock_keys(views.settings.postgres_schema, stream)
    rows = views.query(
        "SELECT a.application_name, l.classid::bigint, l.objid::bigint "
        "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    leaders: set[str] = set()
    members: set[str] = set()
    for name, high, low in rows:
        worker = str(name).removeprefix(f"{APPLICATION} ")
        key = _signed(int(high) << 32 | int(low))
        if key == leader:
            leaders.add(worker)
        elif key == member:
            members.add(worker)
    active = min(leaders) if leaders else None
    return Members(active, sorted(members - leaders))


def _signed(key: int) -> int:
    """pg_locks shows a bigint key as two unsigned 32-bit halves; joined, the signed key."""
    return key - (1 << 64) if key >= 1 << 63 else key
