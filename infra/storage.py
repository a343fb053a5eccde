"""Disk trouble under the database: a full disk, a read-only file system.

Either makes a write fail and leaves what was written before intact: SQLite and
PostgreSQL roll the transaction back whole. What casebook adds is a name for the
trouble (so a client's 503 says what an operator must do) and, on SQLite, new
connections once it is over: SQLite keeps every connection of a process to a file
read-only while one opened on a read-only file system is open, so a service started
on a read-only directory kept refusing commands after it was writable again.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from weakref import WeakKeyDictionary, WeakSet

import psycopg
from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteDatastore

StorageFault = Literal["full", "read_only"]


def storage_fault(error: BaseException) -> StorageFault | None:
    """`full` or `read_only` when a database error (or the error it wraps) says the
    disk is full or the database cannot be written; None for any other error."""
    seen: BaseException | None = error
    for _ in range(10):  # a chain of causes, never followed round a cycle
        if seen is None:
            break
        if isinstance(seen, sqlite3.Error):
            name = getattr(seen, "sqlite_errorname", "") or ""
            if name == "SQLITE_FULL":
                return "full"
            if name.startswith("SQLITE_READONLY"):
                return "read_only"
        if isinstance(seen, psycopg.errors.DiskFull):
            return "full"
        seen = seen.__cause__ or seen.__context__
    return None


class _Closing(Protocol):
    def close_idle(self) -> None: ...


class _Epoch:
    """How many times a write found a SQLite database read-only in this process.

    SQLite shares one open file (and its WAL index) between all of a process's
    connections to a database: while any connection opened on a read-only file system
    is open, every new one is read-only too, even once the file system is writable.
    So at each such write every connection open so far is closed: those not in use at
    once (each holder's `close_idle`), the others when they are next taken up."""

    def __init__(self) -> None:
        self.value = 0
        self._holders: WeakSet[_Closing] = WeakSet()
        self._lock = threading.Lock()

    def hold(self, holder: _Closing) -> None:
        with self._lock:
            self._holders.add(holder)

    def forget_open(self) -> None:
        with self._lock:
            self.value += 1
            holders = list(self._holders)
        for holder in holders:
            holder.close_idle()


READ_ONLY_SEEN = _Epoch()


def note_fault(error: BaseException) -> None:
    """If `error` says the database is read-only, have every SQLite connection open so
    far closed instead of used again (`READ_ONLY_SEEN`)."""
    if storage_fault(error) == "read_only":
        READ_ONLY_SEEN.forget_open()


class ReopeningSQLitePool(SQLiteConnectionPool):
    """The library's SQLite pool, whose connections opened before a write found the
    database read-only are closed (`READ_ONLY_SEEN`) rather than lent again."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._opened_in: WeakKeyDictionary[SQLiteConnection, int] = WeakKeyDictionary()
        READ_ONLY_SEEN.hold(self)

    def _create_connection(self) -> SQLiteConnection:
        conn = super()._create_connection()
        self._opened_in[conn] = READ_ONLY_SEEN.value
        return conn

    def get_connection(
        self, timeout: float | None = None, *, is_writer: bool | None = None
    ) -> SQLiteConnection:
        while True:
            conn = super().get_connection(timeout, is_writer=is_writer)
            if self._opened_in.get(conn) == READ_ONLY_SEEN.value:
                return conn
            conn.close()  # a closed connection put back is dropped from the pool
            self.put_connection(conn)

    def close_idle(self) -> None:
        """Close the connections in the pool that nobody is using now."""
        with self._put_condition:
            idle = list(self._pool)
        for conn in idle:
            if conn.in_use.acquire(blocking=False):  # else it is closed when next lent
                try:
                    conn.close()
                finally:
                    conn.in_use.release()


class ReopeningSQLiteDatastore(SQLiteDatastore):
    """The library's SQLite datastore on a `ReopeningSQLitePool`."""

    pool: ReopeningSQLitePool

    @contextmanager
    def get_connection(self, *, commit: bool) -> Iterator[SQLiteConnection]:
        conn = self.pool.get_connection(is_writer=commit)
        try:
            yield conn
        except Exception as e:
            note_fault(e)
            raise
        finally:
            self.pool.put_connection(conn)

    @classmethod
    def replacing(cls, datastore: SQLiteDatastore) -> ReopeningSQLiteDatastore:
        """One with the same settings as `datastore` (which is closed)."""
        old = datastore.pool
        reopening = cls.__new__(cls)
        reopening.single_row_tracking = datastore.single_row_tracking
        reopening.originator_id_type = datastore.originator_id_type
        reopening.pool = ReopeningSQLitePool(db_name=old.db_name, lock_timeout=old.lock_timeout)
        datastore.close()
        return reopening


@dataclass(eq=False)
class _Held:
    conn: sqlite3.Connection
    epoch: int
    thread: int
    in_use: threading.RLock = field(default_factory=threading.RLock)
    depth: int = 0
    closed: bool = False


class ThreadConnections:
    """One SQLite connection per thread to a file, kept open between uses; those
    opened before a write found the file read-only are closed (`READ_ONLY_SEEN`)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._local = threading.local()
        self._all: WeakSet[_Held] = WeakSet()  # a thread's goes when the thread ends
        self._lock = threading.Lock()
        READ_ONLY_SEEN.hold(self)

    @contextmanager
    def lend(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, for the block (which may lend it again inside)."""
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None:
            held.in_use.acquire()
            if held.depth == 0 and not held.closed and held.epoch != READ_ONLY_SEEN.value:
                self._close(held)
            if held.closed:
                held.in_use.release()
                held = None
        if held is None:
            held = self._open()
        held.depth += 1
        try:
            yield held.conn
        finally:
            held.depth -= 1
            held.in_use.release()

    def _open(self) -> _Held:
        """A new connection for this thread, taken up (its `in_use` held)."""
        conn = sqlite3.connect(
            self._path, isolation_level=None, timeout=10, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        held = _Held(conn, READ_ONLY_SEEN.value, threading.get_ident())
        held.in_use.acquire()
        self._local.held = held
        with self._lock:
            self._all.add(held)
        return held

    def _close(self, held: _Held) -> None:
        with self._lock:
            self._all.discard(held)
        held.closed = True
        held.conn.close()

    def close_idle(self) -> None:
        """Close the connections of other threads that are not in use now."""
        with self._lock:
            others = [h for h in self._all if h.thread != threading.get_ident()]
        for held in others:
            if held.in_use.acquire(blocking=False):  # else it is closed when next lent
                try:
                    self._close(held)
                finally:
                    held.in_use.release()

    def close(self) -> None:
        """Close this thread's connection."""
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None and not held.closed:
            self._close(held)
