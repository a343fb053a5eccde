"""The views' database at the driver level: `%s` cursors on SQLite and PostgreSQL, the
pool's idle check, and one statement that reads several (one round trip)."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Coroutine, Iterator, Sequence
from typing import Any, TypeVar, cast
from weakref import WeakKeyDictionary

import psycopg
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from projections.base import Sql, Statement

_PARAM = re.compile(r"%s")
T = TypeVar("T")


class SqliteSql:
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


class PostgresSql:
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

    def copy_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """COPY rows into a table: the fastest way in."""
        with self._cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


# A pooled connection is checked (a round trip) before it is lent again only when it has
# been idle this long: one back from use a moment ago is very likely alive, and on a busy
# API the check was a round trip in every read's five.
CHECK_AFTER_IDLE_SECONDS = 1.0
last_returned: WeakKeyDictionary[Any, float] = WeakKeyDictionary()  # a connection's


def note_returned(conn: psycopg.Connection[Any]) -> None:
    """The pool's reset: note when the connection came back."""
    last_returned[conn] = time.monotonic()


def idle(conn: Any) -> bool:
    """Whether a pooled connection came back CHECK_AFTER_IDLE_SECONDS ago or more."""
    return time.monotonic() - last_returned.get(conn, 0.0) >= CHECK_AFTER_IDLE_SECONDS


def check_if_idle(conn: psycopg.Connection[Any]) -> None:
    """The pool's check before lending: the library's round trip, if `_idle`."""
    if idle(conn):
        ConnectionPool.check_connection(conn)


async def check_if_idle_async(conn: psycopg.AsyncConnection[Any]) -> None:
    """`check_if_idle`, for the async pool."""
    if idle(conn):
        await AsyncConnectionPool.check_connection(conn)


def sqlite_transaction(conn: sqlite3.Connection, write: bool) -> Iterator[Sql]:
    cursor = conn.cursor()
    cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield SqliteSql(cursor)
        cursor.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # also after a failed COMMIT, so the connection stays usable
            cursor.execute("ROLLBACK")
        raise


def awaited_now(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of a coroutine that never suspends (it awaits only coroutines that
    return at once), run without an event loop: the synchronous `read_once` shares
    `_tries` with the event loop's `read_once_async` so."""
    try:
        coroutine.send(None)
    except StopIteration as finished:
        return cast(T, finished.value)
    coroutine.close()
    raise RuntimeError("a coroutine meant to run at once suspended")


def one_statement(statements: Sequence[Statement]) -> Statement:
    """One SELECT whose columns are the statements' rows, each as a JSON array of
    objects in the statement's order (PostgreSQL's json_agg over a sorted subquery keeps
    it), their values under f1, f2... in the statement's column order (so two columns of
    one name stay apart). Every subquery sees the statement's one snapshot. The views'
    values are text, integers and booleans, which JSON keeps as they were."""
    parts = [
        f"(SELECT COALESCE(json_agg(row_to_json(ROW(x.*))), '[]') FROM ({sql}) x)"
        for sql, _ in statements
    ]
    return "SELECT " + ", ".join(parts), tuple(p for _, params in statements for p in params)
