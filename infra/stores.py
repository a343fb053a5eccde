"""The database event stores with casebook's recorders (infra/recorder.py): PostgreSQL
and SQLite, each keeping idempotency records in the events' transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresFactory
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteFactory
from psycopg import ClientCursor
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier

from infra.persistence import notify_channel
from infra.pooling import clear_on_loss
from infra.recorder import (
    IDEMPOTENCY_TABLE,
    IdempotentRecorder,
    LogRow,
    StoredAnswer,
    records_of,
)
from infra.storage import ReopeningSQLiteDatastore


class PostgresStoreRecorder(PostgresApplicationRecorder, IdempotentRecorder):
    """PostgreSQL: the idempotency rows share the events' transaction.

    `insert_events` keeps the library's guarantees (an EXCLUSIVE table lock so
    commit order equals notification order, a NOTIFY for subscribers) but
    sends the rows as arrays of plain types and prepares every statement once:
    measured 3x cheaper per transaction than the composite-type path, which is
    what group commit is bounded by (see bench/write.py).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The schema's own channel (the library's is the table's name, shared by every
        # schema of the database); the library's insert function, made with the old
        # name, is never called (POSTGRES_ENABLE_DB_FUNCTIONS=n).
        self.channel_name = notify_channel(self.channel_name, self.datastore.schema)
        table = SQL("{0}.{1}").format(
            Identifier(self.datastore.schema), Identifier(self.events_table_name)
        )
        # One simple-query message: PostgreSQL runs its statements as one implicit
        # transaction (all or nothing) in a single round trip.
        self._lock_and_notify = SQL(
            "SET LOCAL lock_timeout = '{0}s'; LOCK TABLE {1} IN EXCLUSIVE MODE; NOTIFY {2}; "
        ).format(self.datastore.lock_timeout, table, Identifier(self.channel_name))
        self._insert_arrays = SQL(
            "INSERT INTO {0} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[]) "
            "RETURNING notification_id"
        ).format(table)
        self._insert_answers = SQL(
            "INSERT INTO {0} (key, request_hash, aggregate_id, version, response) "
            "SELECT * FROM unnest(%s::text[], %s::text[], %s::uuid[], %s::bigint[], "
            "%s::jsonb[]); "
        ).format(self._table())

    def _table(self) -> Composed:
        return SQL("{0}.{1}").format(
            Identifier(self.datastore.schema), Identifier(IDEMPOTENCY_TABLE)
        )

    def create_idempotency_table(self) -> None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} (key text PRIMARY KEY, "
                    "request_hash text NOT NULL, aggregate_id uuid NOT NULL, "
                    "version bigint NOT NULL, response jsonb NOT NULL, "
                    "recorded_at timestamptz NOT NULL DEFAULT now())"
                ).format(self._table())
            )
            curs.execute(
                SQL("CREATE INDEX IF NOT EXISTS {0} ON {1} (recorded_at)").format(
                    Identifier(f"{IDEMPOTENCY_TABLE}_recorded_at"), self._table()
                )
            )

    def prune_answers(self, recorded_before: datetime, limit: int) -> int:
        # Row locks on old records only: a command recording a new key never waits.
        query = SQL(
            "DELETE FROM {0} WHERE key IN (SELECT key FROM {0} WHERE recorded_at < %s "
            "ORDER BY recorded_at LIMIT %s FOR UPDATE SKIP LOCKED)"
        ).format(self._table())
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(query, (recorded_before, limit))
            return curs.rowcount

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Lock, notify, record answers and insert, as one all-or-nothing message."""
        if not stored_events:
            return []
        params: list[Any] = []
        statement = self._lock_and_notify
        records = records_of(kwargs)
        if records:
            statement += self._insert_answers
            params += [
                [r.key for r in records],
                [r.request_hash for r in records],
                [r.aggregate_id for r in records],
                [r.version for r in records],
                [json.dumps(r.response) for r in records],
            ]
        params += [
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        ]
        with self.datastore.get_connection() as conn, ClientCursor(conn) as curs:
            curs.execute(statement + self._insert_arrays, params)
            while curs.nextset():
                pass  # the INSERT ... RETURNING is the last result
            return [row["notification_id"] for row in curs.fetchall()]

    def read_log(
        self, start: int, limit: int, *, text_ids: bool = False, part: tuple[int, int] | None = None
    ) -> list[LogRow]:
        # The server writes an id's text for less than a UUID object costs the client, and
        # the binary format sends the states as they are (as text, bytea is hex: twice the
        # bytes, encoded and decoded): together a third of the client's CPU per row.
        # A part is bounded by positions, not by a LIMIT: the planner cannot tell how many
        # rows the hash keeps, and for a LIMIT it chose to read the whole table each time.
        query = SQL(
            "SELECT notification_id, originator_id{2}, originator_version, topic, state "
            "FROM {0}.{1} WHERE notification_id >= %s{3} ORDER BY notification_id{4}"
        ).format(
            Identifier(self.datastore.schema),
            Identifier(self.events_table_name),
            SQL("::text" if text_ids else ""),
            SQL(
                ""
                if part is None
                else " AND notification_id < %s "
                "AND mod(uuid_hash(originator_id) & 2147483647, %s) = %s"
            ),
            SQL(" LIMIT %s" if part is None else ""),
        )
        params = (start, limit) if part is None else (start, start + limit, part[1], part[0])
        with (
            self.datastore.get_connection() as conn,
            conn.cursor(row_factory=tuple_row, binary=True) as curs,
        ):
            curs.execute(query, params)
            return curs.fetchall()

    def versions(self, aggregate_ids: Sequence[UUID]) -> dict[UUID, int] | None:
        query = SQL(
            "SELECT originator_id, MAX(originator_version) AS version FROM {0}.{1} "
            "WHERE originator_id = ANY(%s) GROUP BY originator_id"
        ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name))
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(query, (list(aggregate_ids),))
            rows = curs.fetchall()
        return {r["originator_id"]: int(r["version"]) for r in rows}

    def find_answers(self, keys: list[str]) -> dict[str, StoredAnswer]:
        query = SQL(
            "SELECT i.key, i.request_hash, i.response, e.notification_id FROM {0} i "
            "LEFT JOIN {1}.{2} e ON e.originator_id = i.aggregate_id "
            "AND e.originator_version = i.version WHERE i.key = ANY(%s)"
        ).format(
            self._table(),
            Identifier(self.datastore.schema),
            Identifier(self.events_table_name),
        )
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(query, (keys,))
            rows = curs.fetchall()
        return {
            r["key"]: StoredAnswer(r["request_hash"], r["response"], r["notification_id"])
            for r in rows
        }


class SQLiteStoreRecorder(SQLiteApplicationRecorder, IdempotentRecorder):
    """SQLite: the idempotency rows share the events' transaction."""

    def create_idempotency_table(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {IDEMPOTENCY_TABLE} (key TEXT PRIMARY KEY, "
                "request_hash TEXT NOT NULL, aggregate_id TEXT NOT NULL, "
                "version INTEGER NOT NULL, response TEXT NOT NULL, "
                "recorded_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
            )
            c.execute(
                f"CREATE INDEX IF NOT EXISTS {IDEMPOTENCY_TABLE}_recorded_at "
                f"ON {IDEMPOTENCY_TABLE} (recorded_at)"
            )

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        for r in records_of(kwargs):
            c.execute(
                f"INSERT INTO {IDEMPOTENCY_TABLE} "
                "(key, request_hash, aggregate_id, version, response) VALUES (?, ?, ?, ?, ?)",
                (r.key, r.request_hash, r.aggregate_id.hex, r.version, json.dumps(r.response)),
            )
        return super()._insert_events(c, stored_events, **kwargs)

    def find_answers(self, keys: list[str]) -> dict[str, StoredAnswer]:
        marks = ", ".join("?" * len(keys))
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT i.key, i.request_hash, i.response, e.rowid FROM {IDEMPOTENCY_TABLE} i "
                f"LEFT JOIN {self.events_table_name} e ON e.originator_id = i.aggregate_id "
                f"AND e.originator_version = i.version WHERE i.key IN ({marks})",
                keys,
            )
            rows = c.fetchall()
        return {r[0]: StoredAnswer(r[1], json.loads(r[2]), r[3]) for r in rows}

    def prune_answers(self, recorded_before: datetime, limit: int) -> int:
        # CURRENT_TIMESTAMP is UTC text that sorts as it reads: 'YYYY-MM-DD HH:MM:SS'.
        before = recorded_before.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"DELETE FROM {IDEMPOTENCY_TABLE} WHERE key IN (SELECT key FROM "
                f"{IDEMPOTENCY_TABLE} WHERE recorded_at < ? ORDER BY recorded_at LIMIT ?)",
                (before, limit),
            )
            pruned: int = c.sqlite_cursor.rowcount
        return pruned


class PostgresStoreFactory(PostgresFactory):
    """PostgreSQL persistence with casebook's recorder, on a pool that clears out every
    dead connection at the first one it finds (infra/pooling.py)."""

    application_recorder_class = PostgresStoreRecorder

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        clear_on_loss(self.datastore.pool)


class SQLiteStoreFactory(SQLiteFactory):
    """SQLite persistence with casebook's recorder, on a datastore whose connections are
    opened again after a write found the database read-only (infra/storage.py)."""

    application_recorder_class = SQLiteStoreRecorder

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.datastore = ReopeningSQLiteDatastore.replacing(self.datastore)
