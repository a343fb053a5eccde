"""The candidate vault: data keys apart from the event log, and the access log.

Each candidate's personal data is sealed (AES-GCM, 256-bit) under a data key of its
own. The data keys are stored wrapped (AES-GCM again) under the key-encryption key
from settings, in a table apart from the event log. Erasure deletes the wrapped key
(and asks the database to overwrite or vacuum the freed space), after which the
sealed data in the log cannot be opened by anyone. Every read of personal data is
written to the access log: who, when, which candidate, why.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Lock
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg.sql import SQL, Identifier

from infra.cpr_index import (
    CprIndex,
    Entry,
    MemoryCprIndex,
    PostgresCprIndex,
    SQLiteCprIndex,
    blind,
)
from infra.settings import Settings

KEYS_TABLE = "casebook_candidate_keys"
ACCESS_TABLE = "casebook_access_log"
DEVELOPMENT_KEK = hashlib.sha256(b"casebook-development-kek-never-use-in-production").digest()
"""The embedded mode's key-encryption key when none is set: public, for trying only."""


class SealError(Exception):
    """Sealed data could not be opened: its key is gone, or it was altered."""


def key_encryption_key(settings: Settings) -> bytes:
    """The KEK from settings (base64 of 32 bytes), or the development one (embedded)."""
    if settings.candidate_kek is None:
        if not settings.embedded:
            raise RuntimeError(
                "production mode needs CASEBOOK_CANDIDATE_KEK: base64 of 32 "
                "random bytes, e.g. `openssl rand -base64 32`"
            )
        return DEVELOPMENT_KEK
    try:
        kek = base64.b64decode(settings.candidate_kek.get_secret_value(), validate=True)
    except ValueError as error:
        raise RuntimeError("CASEBOOK_CANDIDATE_KEK must be base64") from error
    if len(kek) != 32:
        raise RuntimeError("CASEBOOK_CANDIDATE_KEK must decode to exactly 32 bytes")
    if kek == DEVELOPMENT_KEK and not settings.embedded:
        raise RuntimeError("production mode refuses the development CASEBOOK_CANDIDATE_KEK")
    return kek


def derived_index_key(kek: bytes) -> bytes:
    """The blind index's key when none is set: derived from the KEK, never the KEK."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"casebook cpr blind index"
    ).derive(kek)


def seal(key: bytes, candidate_id: UUID, data: dict[str, Any]) -> str:
    """Personal data encrypted under the candidate's key, bound to the candidate's id."""
    nonce = os.urandom(12)
    body = json.dumps(data, ensure_ascii=False, sort_keys=True).encode()
    sealed = nonce + AESGCM(key).encrypt(nonce, body, candidate_id.bytes)
    return base64.b64encode(sealed).decode()


def unseal(key: bytes, candidate_id: UUID, sealed: str) -> dict[str, Any]:
    """The personal data; SealError if the key is wrong or the data was altered."""
    raw = base64.b64decode(sealed)
    try:
        body = AESGCM(key).decrypt(raw[:12], raw[12:], candidate_id.bytes)
    except InvalidTag as error:
        raise SealError(f"sealed data of candidate {candidate_id} cannot be opened") from error
    data: dict[str, Any] = json.loads(body)
    return data


@dataclass(frozen=True)
class Access:
    """One read of a candidate's personal data."""

    at: datetime
    subject: str
    role: str
    candidate_id: UUID
    purpose: str


class Vault(ABC):
    """Data keys (wrapped under the KEK), the CPR blind index and the access log."""

    index: CprIndex

    def __init__(self, kek: bytes, index_key: bytes | None = None) -> None:
        self._kek = AESGCM(kek)
        # Without a key of its own (tests, migrate), one derived from the KEK.
        self._index_key = index_key if index_key is not None else derived_index_key(kek)

    def index_cpr(self, candidate_id: UUID, municipality: str, cpr: str) -> None:
        """Enter the candidate in the blind index under their normalised CPR number."""
        self.index.put(candidate_id, municipality, blind(self._index_key, cpr))

    def find_cpr(self, cpr: str) -> list[Entry]:
        """The candidates (id, municipality) indexed under this normalised CPR number."""
        return self.index.find(blind(self._index_key, cpr))

    def new_key(self, candidate_id: UUID) -> bytes:
        """A fresh data key for the candidate, stored wrapped."""
        key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        self._insert(candidate_id, nonce + self._kek.encrypt(nonce, key, candidate_id.bytes))
        return key

    def key(self, candidate_id: UUID) -> bytes | None:
        """The candidate's data key, None once destroyed (or never made)."""
        wrapped = self._select(candidate_id)
        if wrapped is None:
            return None
        try:
            return self._kek.decrypt(wrapped[:12], wrapped[12:], candidate_id.bytes)
        except InvalidTag as error:
            raise SealError("a data key does not open with this CASEBOOK_CANDIDATE_KEK") from error

    @abstractmethod
    def create_tables(self) -> None:
        """Create the key table and the access log (idempotent)."""

    @abstractmethod
    def destroy(self, candidate_id: UUID) -> bool:
        """Delete the candidate's data key for good; whether there was one."""

    @abstractmethod
    def log_access(self, access: Access) -> None:
        """Record a read of personal data."""

    @abstractmethod
    def accesses(self, candidate_id: UUID) -> list[Access]:
        """The reads of this candidate's personal data, oldest first."""

    @abstractmethod
    def _insert(self, candidate_id: UUID, wrapped: bytes) -> None: ...

    @abstractmethod
    def _select(self, candidate_id: UUID) -> bytes | None: ...


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

    def log_access(self, access: Access) -> None:
        with self._db.transaction(commit=True) as curs:
            curs.execute(
                SQL(
                    "INSERT INTO {0} (at, subject, role, candidate_id, purpose) "
                    "VALUES (%s, %s, %s, %s, %s)"
                ).format(self._log),
                (access.at, access.subject, access.role, access.candidate_id, access.purpose),
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

    def _select(self, candidate_id: UUID) -> bytes | None:
        with self._db.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT wrapped FROM {0} WHERE candidate_id = %s").format(self._keys),
                (candidate_id,),
            )
            row = curs.fetchone()
        return bytes(row["wrapped"]) if row else None


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

    def log_access(self, access: Access) -> None:
        with self._db.transaction(commit=True) as c:
            c.execute(
                f"INSERT INTO {ACCESS_TABLE} (at, subject, role, candidate_id, purpose) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    access.at.isoformat(),
                    access.subject,
                    access.role,
                    str(access.candidate_id),
                    access.purpose,
                ),
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

    def _select(self, candidate_id: UUID) -> bytes | None:
        with self._db.transaction(commit=False) as c:
            c.execute(
                f"SELECT wrapped FROM {KEYS_TABLE} WHERE candidate_id = ?", (str(candidate_id),)
            )
            row = c.fetchone()
        return bytes(row[0]) if row else None


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

    def log_access(self, access: Access) -> None:
        with self._lock:
            self._log.append(access)

    def accesses(self, candidate_id: UUID) -> list[Access]:
        with self._lock:
            return [a for a in self._log if a.candidate_id == candidate_id]

    def _insert(self, candidate_id: UUID, wrapped: bytes) -> None:
        with self._lock:
            self._wrapped[candidate_id] = wrapped

    def _select(self, candidate_id: UUID) -> bytes | None:
        with self._lock:
            return self._wrapped.get(candidate_id)


def utc_now() -> datetime:
    """Now, in UTC, for the access log."""
    return datetime.now(UTC)
