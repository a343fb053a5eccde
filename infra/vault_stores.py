"""The vault's stores: its tables in PostgreSQL (the event store's schema) or in the
SQLite file, or in memory for unit tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from threading import Lock
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg.sql import SQL, Identifier

from infra.cpr_index import MemoryCprIndex, PostgresCprIndex, SQLiteCprIndex
from infra.vault import ACCESS_TABLE, KEYS_TABLE, Access, Vault


class PostgresVault(Vault):
    """The vault's tables in the event store's schema."""

    def __init__(
        self, kek: bytes, datastore: PostgresDatastore, index_key: bytes | None = None
    ) -> None:
        super().__init__(kek, index_key)
        self._db = datastore
        self.index = PostgresCprIndex(datastore)
        self._keys = SQL("{0}.{1}").format(Identifier(datastore.schema), Identifier(KEYS_TABLE))
        self._log = SQL("{0}.{1}").format(Identifier(datastore.schema), Identifier(ACCESS_TABLE))

    def create_tables(self) -> None:
        self.index.create_table()
        with self._db.transaction(commit=True) as curs:
            curs.execute(
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} (candidate_id uuid PRIMARY KEY, "
                    "wrapped bytea NOT NULL, created_at timestamptz NOT NULL "
                    "DEFAULT now())"
                ).format(self._keys)
            )
            curs.execute(
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} (id bigserial PRIMARY KEY, "
                    "at timestamptz NOT NULL, subject text NOT NULL, role text NOT "
                    "NULL, candidate_id uuid NOT NULL, purpose text NOT NULL)"
                ).format(self._log)
            )
            curs.execute(
                SQL(
                    "CREATE INDEX IF NOT EXISTS casebook_access_log_candidate "
                    "ON {0} (candidate_id, id)"
                ).format(self._log)
            )

    def destroy(self, candidate_id: UUID) -> bool:
        self.index.remove(candidate_id)
        with self._db.transaction(commit=True) as curs:
            curs.execute(
                SQL("DELETE FROM {0} WHERE candidate_id = %s").format(self._keys), (candidate_id,)
            )
            deleted = curs.rowcount > 0
        # Remove the dead row version now rather than whenever autovacuum comes by.
        with self._db.get_connection() as conn:
            conn.autocommit = True
            try:
                conn.execute(SQL("VACUUM {0}").format(self._keys))
            finally:
                conn.autocommit = False
        return deleted

    def log_accesses(self, accesses: Sequence[Access]) -> None:
        if not accesses:
            return
        with self._db.transaction(commit=True) as curs:
            curs.executemany(
                SQL(
                    "INSERT INTO {0} (at, subject, role, candidate_id, purpose) "
                    "VALUES (%s, %s, %s, %s, %s)"
                ).format(self._log),
                [(a.at, a.subject, a.role, a.candidate_id, a.purpose) for a in accesses],
            )

    def accesses(self, candidate_id: UUID) -> list[Access]:
        with self._db.transaction(commit=False) as curs:
            curs.execute(
                SQL(
                    "SELECT at, subject, role, candidate_id, purpose FROM {0} "
                    "WHERE candidate_id = %s ORDER BY id"
                ).format(self._log),
                (candidate_id,),
            )
            rows = curs.fetchall()
        return [
            Access(r["at"], r["subject"], r["role"], r["candidate_id"], r["purpose"]) for r in rows
        ]

    def _insert(self, candidate_id: UUID, wrapped: bytes) -> None:
        with self._db.transaction(commit=True) as curs:
            curs.execute(
                SQL("INSERT INTO {0} (candidate_id, wrapped) VALUES (%s, %s)").format(self._keys),
                (candidate_id, wrapped),
            )

    def _select(self, candidate_ids: list[UUID]) -> dict[UUID, bytes]:
        with self._db.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT candidate_id, wrapped FROM {0} WHERE candidate_id = ANY(%s)").format(
                    self._keys
                ),
                (candidate_ids,),
            )
            rows = curs.fetchall()
        return {r["candidate_id"]: bytes(r["wrapped"]) for r in rows}


class SQLiteVault(Vault):
    """The vault's tables in the SQLite file; freed pages are overwritten with zeros."""

    def __init__(
        self, kek: bytes, datastore: SQLiteDatastore, index_key: bytes | None = None
    ) -> None:
        super().__init__(kek, index_key)
        self._db = datastore
        self.index = SQLiteCprIndex(datastore)

    def create_tables(self) -> None:
        self.index.create_table()
        with self._db.transaction(commit=True) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {KEYS_TABLE} (candidate_id TEXT PRIMARY "
                "KEY, wrapped BLOB NOT NULL, created_at TEXT NOT NULL DEFAULT "
                "CURRENT_TIMESTAMP)"
            )
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {ACCESS_TABLE} (id INTEGER PRIMARY KEY, "
                "at TEXT NOT NULL, subject TEXT NOT NULL, role TEXT NOT NULL, "
                "candidate_id TEXT NOT NULL, purpose TEXT NOT NULL)"
            )

    def destroy(self, candidate_id: UUID) -> bool:
        self.index.remove(candidate_id)
        with self._db.transaction(commit=True) as c:
            c.execute("PRAGMA secure_delete = ON")
            c.execute(
                f"DELETE FROM {KEYS_TABLE} WHERE candidate_id = ? RETURNING candidate_id",
                (str(candidate_id),),
            )
            deleted = bool(c.fetchall())
        with self._db.transaction(commit=False) as c:
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # older page images leave the WAL
        return deleted

    def log_accesses(self, accesses: Sequence[Access]) -> None:
        if not accesses:
            return
        with self._db.transaction(commit=True) as c:
            c.executemany(
                f"INSERT INTO {ACCESS_TABLE} (at, subject, role, candidate_id, purpose) "
                "VALUES (?, ?, ?, ?, ?)",
                [
                    (a.at.isoformat(), a.subject, a.role, str(a.candidate_id), a.purpose)
                    for a in accesses
                ],
            )

    def accesses(self, candidate_id: UUID) -> list[Access]:
        with self._db.transaction(commit=False) as c:
            c.execute(
                f"SELECT at, subject, role, candidate_id, purpose FROM {ACCESS_TABLE} "
                "WHERE candidate_id = ? ORDER BY id",
                (str(candidate_id),),
            )
            rows = c.fetchall()
        return [Access(datetime.fromisoformat(r[0]), r[1], r[2], UUID(r[3]), r[4]) for r in rows]

    def _insert(self, candidate_id: UUID, wrapped: bytes) -> None:
        with self._db.transaction(commit=True) as c:
            c.execute(
                f"INSERT INTO {KEYS_TABLE} (candidate_id, wrapped) VALUES (?, ?)",
                (str(candidate_id), wrapped),
            )

    def _select(self, candidate_ids: list[UUID]) -> dict[UUID, bytes]:
        marks = ", ".join("?" for _ in candidate_ids)
        with self._db.transaction(commit=False) as c:
            c.execute(
                f"SELECT candidate_id, wrapped FROM {KEYS_TABLE} WHERE candidate_id IN ({marks})",
                [str(cid) for cid in candidate_ids],
            )
            rows = c.fetchall()
        return {UUID(r[0]): bytes(r[1]) for r in rows}


class MemoryVault(Vault):
    """In memory, for unit tests."""

    def __init__(self, kek: bytes, index_key: bytes | None = None) -> None:
        super().__init__(kek, index_key)
        self.index = MemoryCprIndex()
        self._lock = Lock()
        self._wrapped: dict[UUID, bytes] = {}
        self._log: list[Access] = []

    def create_tables(self) -> None:
        return None

    def destroy(self, candidate_id: UUID) -> bool:
        self.index.remove(candidate_id)
        with self._lock:
            return self._wrapped.pop(candidate_id, None) is not None

    def log_accesses(self, accesses: Sequence[Access]) -> None:
        with self._lock:
            self._log.extend(accesses)

    def accesses(self, candidate_id: UUID) -> list[Access]:
        with self._lock:
            return [a for a in self._log if a.candidate_id == candidate_id]

    def _insert(self, candidate_id: UUID, wrapped: bytes) -> None:
        with self._lock:
            self._wrapped[candidate_id] = wrapped

    def _select(self, candidate_ids: list[UUID]) -> dict[UUID, bytes]:
        with self._lock:
            return {cid: self._wrapped[cid] for cid in candidate_ids if cid in self._wrapped}
