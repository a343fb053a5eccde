"""A pool check that clears out every dead connection at the first one found.

When PostgreSQL drops all of a process's connections at once (a restart, a failover,
`pg_terminate_backend`), psycopg_pool finds them dead one at a time as it lends them,
and waits between tries (1, 2, 4, 8 s...: its backoff against a busy loop): with eight
dead connections idle, a request waited the pool's whole 30 s and got a 503 though the
database was back at once. This check, when a connection fails it, has the pool test
all its other idle ones at once (`ConnectionPool.check`: the dead are replaced, the live
kept), so the request that found the first dead one waits one backoff (about 1 s) for a
new connection, and the requests after it wait none.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import psycopg
import structlog
from psycopg_pool import AsyncConnectionPool, ConnectionPool

log = structlog.get_logger(__name__)

Check = Callable[[psycopg.Connection[Any]], None]
AsyncCheck = Callable[[psycopg.AsyncConnection[Any]], Awaitable[None]]


class ClearingCheck:
    """`check`, and when it fails, a check of the pool's other idle connections. The
    pool is set once it exists (it takes its check when it is made)."""

    def __init__(self, check: Check) -> None:
        self._check = check
        self.pool: ConnectionPool[Any] | None = None

    def __call__(self, conn: psycopg.Connection[Any]) -> None:
        try:
            self._check(conn)
        except Exception as e:
            log.warning("connection_lost", pool=getattr(self.pool, "name", None), reason=str(e))
            if self.pool is not None:
                self.pool.check()
            raise


class AsyncClearingCheck:
    """`ClearingCheck` for an async pool."""

    def __init__(self, check: AsyncCheck) -> None:
        self._check = check
        self.pool: AsyncConnectionPool[Any] | None = None

    async def __call__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        try:
            await self._check(conn)
        except Exception as e:
            log.warning("connection_lost", pool=getattr(self.pool, "name", None), reason=str(e))
            if self.pool is not None:
                await self.pool.check()
            raise


def clear_on_loss(pool: ConnectionPool[Any]) -> None:
    """Give a pool made by a library (the event store's, by eventsourcing, with its
    `pre_ping` check) a `ClearingCheck` around the check it has. psycopg_pool takes the
    check only when the pool is made, so this sets the attribute it keeps it in; the
    test of dropped connections (tests/integration/test_database_faults.py) fails
    should a release of psycopg_pool keep it elsewhere."""
    current = pool._check
    if current is None or isinstance(current, ClearingCheck):
        return
    clearing = ClearingCheck(current)
    clearing.pool = pool
    pool._check = clearing


@contextmanager
def lend(pool: ConnectionPool[Any]) -> Iterator[psycopg.Connection[Any]]:
    """`pool.connection()`; when the block fails on a connection found lost (lent
    without a check: back from use a moment ago), the pool's idle ones are put to the
    test at once, so the requests after this one are not lent the others."""
    with pool.connection() as conn:
        try:
            yield conn
        except psycopg.OperationalError:
            if conn.broken:
                pool.check()
            raise


@asynccontextmanager
async def alend(pool: AsyncConnectionPool[Any]) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    """`lend` for an async pool."""
    async with pool.connection() as conn:
        try:
            yield conn
        except psycopg.OperationalError:
            if conn.broken:
                await pool.check()
            raise
