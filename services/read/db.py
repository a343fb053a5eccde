"""The read models' database: the event store's own SQLite file or PostgreSQL schema.

Each projection has a row in `casebook_projections` per generation of its
tables: the generation, the log position it has processed, and whether it is
the one readers use. A batch's rows and its position commit together.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import anyio.to_thread
import psycopg
from psycopg import IsolationLevel
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from infra.persistence import notify_channel, postgres_conninfo
from infra.pooling import AsyncClearingCheck, ClearingCheck, alend, lend
from infra.settings import Settings
from infra.storage import ThreadConnections, note_fault
from projections.base import Rows, Sql, Statement
from services.read.generations import (
    ACTIVE,
    REGISTRY,
    RUNNERS,
    SNAPSHOTS,
    Active,
    Generations,
    Moved,
    create_views,
    generations_of,
    parse_announcement,
    prefix_of,
)
from services.read.sql import (
    PostgresSql,
    SqliteSql,
    awaited_now,
    check_if_idle,
    check_if_idle_async,
    last_returned,
    note_returned,
    one_statement,
    sqlite_transaction,
)

__all__ = [
    "PROJECTIONS_CHANNEL",
    "REGISTRY",
    "RUNNERS",
    "SNAPSHOTS",
    "Active",
    "Moved",
    "ProjectionDb",
    "create_views",
    "parse_announcement",
    "prefix_of",
]
PROJECTIONS_CHANNEL = "casebook_views"  # NOTIFY after each batch, for readers in other processes
Build = Callable[[Mapping[str, int]], Sequence[Statement]]
"""Statements made for the active generation of each read model (name -> generation)."""
AsyncPool = AsyncConnectionPool[psycopg.AsyncConnection[Any]]
ONE_TRIP_TRIES = 3  # then the two-step read (a swap is rare; several in a row rarer still)


class ProjectionDb(Generations):
    """Transactions on the views' database, for the runners and the read routes."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._local = threading.local()
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        self._memory: sqlite3.Connection | None = None
        self._memory_lock = threading.Lock()
        self._sqlite: ThreadConnections | None = None
        self._assumed: dict[str, int] = {}  # the generations the last read found active
        self._apools: dict[asyncio.AbstractEventLoop, AsyncPool] = {}  # one per loop
        self.postgres = settings.backend == "postgres"
        self.row_lock = " FOR UPDATE" if settings.backend == "postgres" else ""
        self.copies = settings.backend == "postgres"  # its cursors have `copy_rows`
        if settings.backend == "postgres":
            check = ClearingCheck(check_if_idle)  # all dead ones out at the first
            self._pool = ConnectionPool(
                postgres_conninfo(settings),
                min_size=1,
                max_size=settings.db_pool_size,
                timeout=settings.db_connect_timeout_seconds,  # then PoolTimeout: a 503
                kwargs={"options": f"-c search_path={settings.postgres_schema}"},
                check=check,
                reset=note_returned,
                open=True,
            )
            check.pool = self._pool
        elif settings.backend == "memory":
            self._memory = sqlite3.connect(
                ":memory:", check_same_thread=False, isolation_level=None
            )
        else:
            self._sqlite = ThreadConnections(settings.sqlite_path())

    @property
    def settings(self) -> Settings:
        """The settings this database was opened with."""
        return self._settings

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Sql]:
        """One transaction: committed when the block ends, rolled back if it raises.
        Inside `reading()`, a read-only one is the block's shared transaction."""
        shared: Sql | None = getattr(self._local, "shared", None)
        if shared is not None and not write:
            yield shared
            return
        if self._pool is not None:
            with lend(self._pool) as conn, conn.transaction(), conn.cursor() as cur:
                yield PostgresSql(cur)
            return
        if self._memory is not None:
            with self._memory_lock:
                yield from sqlite_transaction(self._memory, write)
            return
        assert self._sqlite is not None
        with self._sqlite.lend() as file:
            try:
                yield from sqlite_transaction(file, write)
            except sqlite3.Error as e:
                note_fault(e)
                raise

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Every read in the block (this thread) in one read-only transaction, with every
        read model's active generation read once, as the block begins: a page's reads
        take one connection and see one moment."""
        if getattr(self._local, "shared", None) is not None:
            yield
            return
        with self._snapshot() as sql:
            sql.execute(ACTIVE)
            generations = generations_of(sql.fetchall())
            self._local.shared, self._local.generations = sql, generations
            try:
                yield
            finally:
                self._local.shared = self._local.generations = None

    @contextmanager
    def _snapshot(self) -> Iterator[Sql]:
        """A read-only transaction whose statements all see one snapshot: on PostgreSQL
        REPEATABLE READ (in READ COMMITTED each statement would see what had committed
        when it began, so a page's parts could differ), set on its BEGIN; SQLite's
        transaction has one snapshot anyway."""
        if self._pool is None:
            with self.transaction(write=False) as sql:
                yield sql
            return
        with lend(self._pool) as conn:
            conn.isolation_level, conn.read_only = IsolationLevel.REPEATABLE_READ, True
            try:
                with conn.transaction(), conn.cursor() as cur:
                    yield PostgresSql(cur)
            finally:
                if not conn.closed:  # back to the pool as it came
                    conn.isolation_level = conn.read_only = None

    def read_once(self, names: Sequence[str], build: Build) -> tuple[Active, Rows]:
        """The rows of the statements `build` makes for the active generations, with
        every read model's (generation, position) as of the same moment as the rows.

        On PostgreSQL, outside `reading()`, this is one round trip: the registry and
        the statements as one statement (`one_statement`), the statements made for the
        generations the previous read found. Should the registry read with them name
        another generation of one of `names` (a rebuild swapped it in since), the
        statements are made again for what the registry says, and sent again; should a
        table be gone (a second swap dropped it), or after ONE_TRIP_TRIES, the registry
        is read first, then the statements (`_read_in_steps`).
        """
        if self._pool is None or getattr(self._local, "shared", None) is not None:
            return self._read_in_steps(build)

        async def trip(statements: Sequence[Statement]) -> tuple[Active, Rows]:
            return self._one_trip(statements)

        answer = awaited_now(self._tries(names, build, trip))
        return answer if answer is not None else self._read_in_steps(build)

    async def read_once_async(self, names: Sequence[str], build: Build) -> tuple[Active, Rows]:
        """`read_once` on the event loop: on PostgreSQL, once `open_async` has opened a
        pool of async connections on this loop, the one statement is sent from the loop
        itself, without a hop to a worker thread and back; else (SQLite, another loop,
        the two-step read) `read_once` in a worker thread."""
        pool = self._async_pool()
        if pool is None:
            return await anyio.to_thread.run_sync(self.read_once, names, build)
        answer = await self._tries(names, build, functools.partial(self._one_trip_async, pool))
        if answer is not None:
            return answer
        return await anyio.to_thread.run_sync(self._read_in_steps, build)

    async def _tries(
        self,
        names: Sequence[str],
        build: Build,
        trip: Callable[[Sequence[Statement]], Awaitable[tuple[Active, Rows]]],
    ) -> tuple[Active, Rows] | None:
        """`read_once`'s one-statement tries, each sent by `trip`; None when the read is
        to take two steps."""
        assumed = self._assumed
        for _ in range(ONE_TRIP_TRIES):
            if any(name not in assumed for name in names):
                break
            try:
                active, rows = await trip(build(assumed))
            except psycopg.errors.UndefinedTable:
                assumed = {}
                continue
            found = self._found(active)
            if all(found.get(name) == assumed[name] for name in names):
                return active, rows
            assumed = found
        return None

    def _found(self, active: Active) -> dict[str, int]:
        """The generations a read found active, remembered for the next read's
        statements."""
        self._assumed = found = {name: generation for name, (generation, _) in active.items()}
        return found

    def _read_in_steps(self, build: Build) -> tuple[Active, Rows]:
        """`read_once` by reading the registry first, then the statements, in one
        read transaction (inside `reading()`: its own)."""
        with self.reading():
            active = self.active_generations()
            # Built from this snapshot's own: another thread may set _assumed meanwhile.
            return active, self.fetch_each(build(self._found(active)))

    def _one_trip(self, statements: Sequence[Statement]) -> tuple[Active, Rows]:
        """The registry and the statements' rows as one statement (`one_statement`):
        one snapshot, one round trip, and one statement for the driver to send and
        decode instead of one per part."""
        assert self._pool is not None
        combined, params = one_statement([(ACTIVE, ()), *statements])
        with lend(self._pool) as conn:
            conn.autocommit = True  # a statement is a transaction of its own
            try:
                row = conn.execute(combined, params).fetchone()
            finally:
                if not conn.closed:
                    conn.autocommit = False
        return one_row(row)

    async def _one_trip_async(
        self, pool: AsyncPool, statements: Sequence[Statement]
    ) -> tuple[Active, Rows]:
        """`_one_trip` on an async connection (in autocommit: see `open_async`)."""
        combined, params = one_statement([(ACTIVE, ()), *statements])
        async with alend(pool) as conn:
            cursor = await conn.execute(combined, params)
            row = await cursor.fetchone()
            # Noted here, not by a reset callback: the pool would hand the connection to
            # a maintenance task and back before it could be lent again.
            last_returned[conn] = time.monotonic()
        return one_row(row)

    async def open_async(self) -> AsyncPool | None:
        """On PostgreSQL, open a pool of async connections on the running event loop
        (the API's, as it starts) and return it, for `close_async` as the loop's user
        stops: `read_once_async` on this loop then reads from the loop itself. Its
        connections are in autocommit, and checked before they are lent only after a
        second idle, as the other pool's are. None (nothing to close) on SQLite, or
        when this loop has a pool already."""
        loop = asyncio.get_running_loop()
        if self._pool is None or loop in self._apools:
            return None
        check = AsyncClearingCheck(check_if_idle_async)
        pool: AsyncPool = AsyncConnectionPool(
            postgres_conninfo(self._settings),
            min_size=1,
            max_size=self._settings.db_pool_size,
            timeout=self._settings.db_connect_timeout_seconds,
            open=False,
            kwargs={
                "options": f"-c search_path={self._settings.postgres_schema}",
                "autocommit": True,
            },
            check=check,
        )
        check.pool = pool
        self._apools[loop] = pool
        await pool.open()
        return pool

    async def close_async(self, pool: AsyncPool | None) -> None:
        """Close a pool `open_async` opened (on its loop); reads on that loop then go to
        a worker thread."""
        if pool is None:
            return
        try:
            await pool.close()
        finally:
            for loop in [loop for loop, opened in self._apools.items() if opened is pool]:
                del self._apools[loop]

    def _async_pool(self) -> AsyncPool | None:
        """The async pool opened on the running loop, if any."""
        return self._apools.get(asyncio.get_running_loop())

    def fetch_each(self, statements: Sequence[Statement]) -> list[list[tuple[Any, ...]]]:
        """The rows of each read-only statement, in order; on PostgreSQL sent in one
        round trip (inside `reading()`, in its shared transaction)."""
        with self.transaction(write=False) as sql:
            assert isinstance(sql, SqliteSql | PostgresSql)
            return sql.fetch_each(statements)

    def announce(self, sql: Sql, moved: Sequence[Moved] = ()) -> None:
        """Tell readers in other processes, at commit, that a read model moved on; with
        `moved` (name, generation, position), where to, so they need not ask."""
        if self._pool is not None:
            payload = ",".join(
                f"{name}:{generation}:{position}" for name, generation, position in moved
            )
            channel = notify_channel(PROJECTIONS_CHANNEL, self._settings.postgres_schema)
            sql.execute("SELECT pg_notify(%s, %s)", (channel, payload))

    def commit_without_flush(self, sql: Sql) -> None:
        """Let this transaction commit without waiting for its WAL to reach the disk
        (PostgreSQL). Only for work that is safe to lose in a database crash: a
        rebuild's batch and its position are lost together, and it is sent again."""
        if self._pool is not None:
            sql.execute("SET LOCAL synchronous_commit = off")

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one read-only statement."""
        with self.transaction(write=False) as sql:
            sql.execute(statement, params)
            return sql.fetchall()

    def close(self) -> None:
        """Close the pool (PostgreSQL), the in-memory database, or this thread's SQLite
        connection (another thread's closes when the thread ends)."""
        if self._pool is not None:
            self._pool.close()
        if self._memory is not None:
            self._memory.close()
        if self._sqlite is not None:
            self._sqlite.close()


def one_row(row: tuple[Any, ...] | None) -> tuple[Active, Rows]:
    """The registry and each statement's rows from `one_statement`'s one row."""
    assert row is not None
    registry, *rows = [[tuple(entry.values()) for entry in part] for part in row]
    return generations_of(registry), rows
