"""The read models' database: the event store's own SQLite file or PostgreSQL schema.

Each projection has a row in `casebook_projections` per generation of its
tables: the generation, the log position it has processed, and whether it is
the one readers use. A batch's rows and its position commit together.
"""

from __future__ import annotations

import asyncio
import functools
import re
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast
from weakref import WeakKeyDictionary

import anyio.to_thread
import psycopg
from psycopg import IsolationLevel
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from infra.persistence import notify_channel, postgres_conninfo
from infra.settings import Settings
from projections.base import Projection, Sql
from projections.registry import PROJECTIONS

REGISTRY = "casebook_projections"
RUNNERS = "casebook_projection_workers"  # one heartbeat row per projection worker
SNAPSHOTS = "casebook_state_snapshots"  # company histories, for GET .../state
VIEWS_CHANNEL = "casebook_views"  # NOTIFY after each batch, for readers in other processes
_PARAM = re.compile(r"%s")
Statement = tuple[str, Sequence[Any]]
"""A statement and its parameters."""
Moved = tuple[str, int, int]
"""A read model's name, generation and new position, as announced."""
Active = dict[str, tuple[int, int]]
"""Each read model's (generation, position) that readers use."""
Build = Callable[[Mapping[str, int]], Sequence[Statement]]
"""Statements made for the active generation of each read model (name -> generation)."""
Rows = list[list[tuple[Any, ...]]]
T = TypeVar("T")
AsyncPool = AsyncConnectionPool[psycopg.AsyncConnection[Any]]
ONE_TRIP_TRIES = 3  # then the two-step read (a swap is rare; several in a row rarer still)


class _SqliteSql:
    """A sqlite3 cursor that takes `%s` placeholders like psycopg."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(_PARAM.sub("?", statement), tuple(params))

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        self._cursor.executemany(_PARAM.sub("?", statement), [tuple(r) for r in rows])

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._cursor.fetchall())

    def fetch_each(self, statements: Sequence[Statement]) -> list[list[tuple[Any, ...]]]:
        """The rows of each statement, in order (one after another: no round trips)."""
        results = []
        for statement, params in statements:
            self.execute(statement, params)
            results.append(self.fetchall())
        return results


class _PostgresSql:
    """A psycopg cursor (tuples, `%s` placeholders)."""

    def __init__(self, cursor: psycopg.Cursor[Any]) -> None:
        self._cursor = cursor

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self._cursor.execute(statement, tuple(params))

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        self._cursor.executemany(statement, [tuple(r) for r in rows])

    def fetchall(self) -> list[tuple[Any, ...]]:
        return list(self._cursor.fetchall())

    def fetch_each(self, statements: Sequence[Statement]) -> list[list[tuple[Any, ...]]]:
        """The rows of each statement, in order, sent together in one pipeline: one
        round trip to the server instead of one per statement."""
        conn = self._cursor.connection
        with conn.pipeline():
            cursors = [conn.cursor() for _ in statements]
            for cursor, (statement, params) in zip(cursors, statements, strict=True):
                cursor.execute(statement, tuple(params))
        return [list(cursor.fetchall()) for cursor in cursors]

    def copy_rows(self, table: str, columns: Sequence[str],
                  rows: Sequence[Sequence[Any]]) -> None:
        """COPY rows into a table: the fastest way in."""
        with self._cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


# A pooled connection is checked (a round trip) before it is lent again only when it has
# been idle this long: one back from use a moment ago is very likely alive, and on a busy
# API the check was a round trip in every read's five.
CHECK_AFTER_IDLE_SECONDS = 1.0
_last_returned: WeakKeyDictionary[Any, float] = WeakKeyDictionary()  # a connection's


def _returned(conn: psycopg.Connection[Any]) -> None:
    """The pool's reset: note when the connection came back."""
    _last_returned[conn] = time.monotonic()


def _idle(conn: Any) -> bool:
    """Whether a pooled connection came back CHECK_AFTER_IDLE_SECONDS ago or more."""
    return time.monotonic() - _last_returned.get(conn, 0.0) >= CHECK_AFTER_IDLE_SECONDS


def _check_if_idle(conn: psycopg.Connection[Any]) -> None:
    """The pool's check before lending: the library's round trip, if `_idle`."""
    if _idle(conn):
        ConnectionPool.check_connection(conn)


async def _check_if_idle_async(conn: psycopg.AsyncConnection[Any]) -> None:
    """`_check_if_idle`, for the async pool."""
    if _idle(conn):
        await AsyncConnectionPool.check_connection(conn)


class ViewDb:
    """Transactions on the views' database, for the runners and the read routes."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._local = threading.local()
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        self._memory: sqlite3.Connection | None = None
        self._memory_lock = threading.Lock()
        self._assumed: dict[str, int] = {}  # the generations the last read found active
        self._apools: dict[asyncio.AbstractEventLoop, AsyncPool] = {}  # one per loop
        self.row_lock = " FOR UPDATE" if settings.backend == "postgres" else ""
        self.copies = settings.backend == "postgres"  # its cursors have `copy_rows`
        if settings.backend == "postgres":
            self._pool = ConnectionPool(
                postgres_conninfo(settings), min_size=1, max_size=settings.db_pool_size,
                kwargs={"options": f"-c search_path={settings.postgres_schema}"},
                check=_check_if_idle, reset=_returned, open=True,
            )
        elif settings.backend == "memory":
            self._memory = sqlite3.connect(":memory:", check_same_thread=False,
                                           isolation_level=None)

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
            with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
                yield _PostgresSql(cur)
            return
        if self._memory is not None:
            with self._memory_lock:
                yield from _sqlite_transaction(self._memory, write)
            return
        yield from _sqlite_transaction(self._sqlite(), write)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Every read in the block (this thread) in one read-only transaction, with every
        read model's active generation read once, as the block begins: a page's reads
        take one connection and see one moment."""
        if getattr(self._local, "shared", None) is not None:
            yield
            return
        with self._snapshot() as sql:
            sql.execute(_ACTIVE)
            generations = _generations(sql.fetchall())
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
        with self._pool.connection() as conn:
            conn.isolation_level, conn.read_only = IsolationLevel.REPEATABLE_READ, True
            try:
                with conn.transaction(), conn.cursor() as cur:
                    yield _PostgresSql(cur)
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

        answer = _awaited_now(self._tries(names, build, trip))
        return answer if answer is not None else self._read_in_steps(build)

    async def read_once_async(self, names: Sequence[str], build: Build
                              ) -> tuple[Active, Rows]:
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

    async def _tries(self, names: Sequence[str], build: Build, trip: Callable[
            [Sequence[Statement]], Awaitable[tuple[Active, Rows]]]
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
        combined, params = one_statement([(_ACTIVE, ()), *statements])
        with self._pool.connection() as conn:
            conn.autocommit = True  # a statement is a transaction of its own
            try:
                row = conn.execute(combined, params).fetchone()
            finally:
                if not conn.closed:
                    conn.autocommit = False
        return _one_row(row)

    async def _one_trip_async(self, pool: AsyncPool,
                              statements: Sequence[Statement]) -> tuple[Active, Rows]:
        """`_one_trip` on an async connection (in autocommit: see `open_async`)."""
        combined, params = one_statement([(_ACTIVE, ()), *statements])
        async with pool.connection() as conn:
            cursor = await conn.execute(combined, params)
            row = await cursor.fetchone()
            # Noted here, not by a reset callback: the pool would hand the connection to
            # a maintenance task and back before it could be lent again.
            _last_returned[conn] = time.monotonic()
        return _one_row(row)

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
        pool: AsyncPool = AsyncConnectionPool(
            postgres_conninfo(self._settings), min_size=1,
            max_size=self._settings.db_pool_size, open=False,
            kwargs={"options": f"-c search_path={self._settings.postgres_schema}",
                    "autocommit": True},
            check=_check_if_idle_async)
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
            assert isinstance(sql, _SqliteSql | _PostgresSql)
            return sql.fetch_each(statements)

    def announce(self, sql: Sql, moved: Sequence[Moved] = ()) -> None:
        """Tell readers in other processes, at commit, that a read model moved on; with
        `moved` (name, generation, position), where to, so they need not ask."""
        if self._pool is not None:
            payload = ",".join(f"{name}:{generation}:{position}"
                               for name, generation, position in moved)
            channel = notify_channel(VIEWS_CHANNEL, self._settings.postgres_schema)
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

    def _sqlite(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._settings.sqlite_path(), isolation_level=None,
                                   timeout=10)
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close the pool (PostgreSQL) or the in-memory database."""
        if self._pool is not None:
            self._pool.close()
        if self._memory is not None:
            self._memory.close()

    # --- the registry of generations -------------------------------------

    def create_registry(self) -> None:
        """The table of projections, their generations and positions."""
        with self.transaction() as sql:
            sql.execute(
                f"CREATE TABLE IF NOT EXISTS {REGISTRY} (name TEXT NOT NULL, "
                "generation INTEGER NOT NULL, position BIGINT NOT NULL, "
                "active INTEGER NOT NULL, PRIMARY KEY (name, generation))"
            )
            sql.execute(f"CREATE TABLE IF NOT EXISTS {RUNNERS} (worker TEXT PRIMARY KEY, "
                        "heartbeat_at DOUBLE PRECISION NOT NULL, status TEXT NOT NULL)")
            sql.execute(f"CREATE TABLE IF NOT EXISTS {SNAPSHOTS} (company_id TEXT NOT NULL, "
                        "format INTEGER NOT NULL, version INTEGER NOT NULL, "
                        "recorded_us BIGINT NOT NULL, data TEXT NOT NULL, "
                        "PRIMARY KEY (company_id, format, version))")

    def active_generations(self) -> dict[str, tuple[int, int]]:
        """Every read model's (generation, position) that readers use (inside `reading()`:
        as the block began)."""
        memo: dict[str, tuple[int, int]] | None = getattr(self._local, "generations", None)
        return dict(memo) if memo is not None else _generations(self.query(_ACTIVE))

    def has_table(self, sql: Sql, table: str) -> bool:
        """Whether the views' database has this table (in the configured schema)."""
        if self._pool is not None:
            sql.execute("SELECT to_regclass(%s) IS NOT NULL", (table,))
        else:
            sql.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' "
                        "AND name = %s", (table,))
        return bool(sql.fetchall()[0][0])

    def active_generation(self, name: str) -> tuple[int, int] | None:
        """(generation, position) that readers use, if the projection exists."""
        memo: dict[str, tuple[int, int]] | None = getattr(self._local, "generations", None)
        if memo is not None:  # inside reading(): as the block began
            return memo.get(name)
        rows = self.query(f"SELECT generation, position FROM {REGISTRY} "
                          "WHERE name = %s AND active = 1", (name,))
        return (int(rows[0][0]), int(rows[0][1])) if rows else None

    def next_generation(self, name: str) -> int:
        """A generation number not used yet for this projection."""
        rows = self.query(f"SELECT MAX(generation) FROM {REGISTRY} WHERE name = %s", (name,))
        return int(rows[0][0] or 0) + 1

    def activate(self, cls: type[Projection], generation: int) -> None:
        """Make `generation` the one readers use; drop the generations before the one it
        replaces (that one stays until the next swap, for readers still using it)."""
        with self.transaction() as sql:
            sql.execute(f"SELECT generation FROM {REGISTRY} WHERE name = %s AND active = 1",
                        (cls.name,))
            replaced = [int(g) for (g,) in sql.fetchall()]
            sql.execute(f"SELECT generation FROM {REGISTRY} WHERE name = %s", (cls.name,))
            others = [int(g) for (g,) in sql.fetchall()
                      if int(g) < generation and int(g) not in replaced]
            sql.execute(f"UPDATE {REGISTRY} SET active = CASE WHEN generation = %s THEN 1 "
                        "ELSE 0 END WHERE name = %s", (generation, cls.name))
        for old in others:
            with self.transaction() as sql:
                for table in cls.table_names():
                    sql.execute(f"DROP TABLE IF EXISTS {prefix_of(cls.name, old)}{table}")
                sql.execute(f"DELETE FROM {REGISTRY} WHERE name = %s AND generation = %s",
                            (cls.name, old))

    def start_generation(self, cls: type[Projection], generation: int, *,
                         active: bool, indexes: bool = True) -> Projection:
        """Create a generation's tables and registry row (at position 0); without
        `indexes`, only the tables (a bulk load indexes afterwards: `services/rebuild.py`)."""
        projection = cls(prefix_of(cls.name, generation))
        with self.transaction() as sql:
            for statement in projection.ddl():
                if indexes or not statement.startswith("CREATE INDEX"):
                    sql.execute(statement)
            sql.execute(f"INSERT INTO {REGISTRY} (name, generation, position, active) "
                        "VALUES (%s, %s, 0, %s)", (cls.name, generation, int(active)))
        return projection


def create_views(views: ViewDb) -> None:
    """The registry and a first generation of every read model (part of migrate)."""
    views.create_registry()
    for cls in PROJECTIONS:
        active = views.active_generation(cls.name)
        if active is None:
            views.start_generation(cls, 1, active=True)
            continue
        projection = cls(prefix_of(cls.name, active[0]))
        with views.transaction() as sql:  # new tables and indexes of an upgrade
            # The registry row locked as a worker's batch locks it: no batch runs while
            # a summary new to this generation is created and filled from its tables.
            sql.execute(f"SELECT position FROM {REGISTRY} WHERE name = %s AND "
                        f"generation = %s{views.row_lock}", (cls.name, active[0]))
            sql.fetchall()
            new = [summary for summary in projection.summaries
                   if not views.has_table(sql, projection.t(summary.table))]
            for statement in projection.ddl():  # all IF NOT EXISTS
                sql.execute(statement)
            for summary in new:
                sql.execute(projection.fill(summary))


_ACTIVE = f"SELECT name, generation, position FROM {REGISTRY} WHERE active = 1"


def _awaited_now(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of a coroutine that never suspends (it awaits only coroutines that
    return at once), run without an event loop: the synchronous `read_once` shares
    `_tries` with the event loop's `read_once_async` so."""
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return cast(T, finished.value)
    coroutine.close()
    raise RuntimeError("a coroutine meant to run at once suspended")


def _one_row(row: tuple[Any, ...] | None) -> tuple[Active, Rows]:
    """The registry and each statement's rows from `one_statement`'s one row."""
    assert row is not None
    registry, *rows = [[tuple(entry.values()) for entry in part] for part in row]
    return _generations(registry), rows


def one_statement(statements: Sequence[Statement]) -> Statement:
    """One SELECT whose columns are the statements' rows, each as a JSON array of
    objects in the statement's order (PostgreSQL's json_agg over a sorted subquery keeps
    it), their values under f1, f2... in the statement's column order (so two columns of
    one name stay apart). Every subquery sees the statement's one snapshot. The views'
    values are text, integers and booleans, which JSON keeps as they were."""
    parts = [f"(SELECT COALESCE(json_agg(row_to_json(ROW(x.*))), '[]') FROM ({sql}) x)"
             for sql, _ in statements]
    return "SELECT " + ", ".join(parts), tuple(p for _, params in statements for p in params)


def _generations(rows: Sequence[tuple[Any, ...]]) -> dict[str, tuple[int, int]]:
    return {str(name): (int(generation), int(position)) for name, generation, position in rows}


def parse_announcement(payload: str) -> list[Moved]:
    """The (name, generation, position) entries of an announcement's payload; none if it
    carries none or is not one of ours."""
    try:
        return [(name, int(generation), int(position)) for name, generation, position in (
            entry.split(":") for entry in payload.split(",") if entry)]
    except ValueError:
        return []


def prefix_of(name: str, generation: int) -> str:
    """Table prefix of a projection's generation."""
    return f"view_{name}_g{generation}_"


def _sqlite_transaction(conn: sqlite3.Connection, write: bool) -> Iterator[Sql]:
    cursor = conn.cursor()
    cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield _SqliteSql(cursor)
        cursor.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # also after a failed COMMIT, so the connection stays usable
            cursor.execute("ROLLBACK")
        raise
