"""The CPR blind index: find a candidate by CPR number without storing the number.

An entry is the HMAC-SHA256, under a key of its own (`CASEBOOK_CANDIDATE_INDEX_KEY`,
else one derived from the KEK), of the normalised CPR number (ten digits), with the
candidate's id and municipality. It lives in a table beside the candidate's data key,
never in an event: a keyed digest of a CPR number can be brute-forced by whoever holds
the key (there are only some 10^8 numbers), so it must go with the candidate's erasure,
which the log's events cannot. Erasure deletes the entry with the data key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from abc import ABC, abstractmethod
from threading import Lock
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg.sql import SQL, Identifier

from infra.settings import Settings

INDEX_TABLE = "casebook_candidate_index"
Entry = tuple[UUID, str]  # candidate id, municipality


def index_key(settings: Settings) -> bytes | None:
    """The index's HMAC key from settings (base64 of 32 bytes); None when unset (the
    vault then derives one from the KEK)."""
    if settings.candidate_index_key is None:
        return None
    try:
        key = base64.b64decode(settings.candidate_index_key.get_secret_value(), validate=True)
    except ValueError as error:
        raise RuntimeError("CASEBOOK_CANDIDATE_INDEX_KEY must be base64") from error
    if len(key) != 32:
        raise RuntimeError("CASEBOOK_CANDIDATE_INDEX_KEY must decode to exactly 32 bytes")
    return key


def blind(key: bytes, cpr: str) -> str:
    """The index's digest of a normalised CPR number (hex)."""
    return hmac.new(key, cpr.encode(), hashlib.sha256).hexdigest()


class CprIndex(ABC):
    """Digest -> candidates; one entry per candidate."""

    @abstractmethod
    def create_table(self) -> None:
        """Create the index table (idempotent)."""

    @abstractmethod
    def put(self, candidate_id: UUID, municipality: str, digest: str) -> None:
        """Index a candidate under their digest."""

    @abstractmethod
    def find(self, digest: str) -> list[Entry]:
        """The candidates under this digest, in id order."""

    @abstractmethod
    def remove(self, candidate_id: UUID) -> None:
        """Remove the candidate's entry (erasure)."""


class PostgresCprIndex(CprIndex):
    def __init__(self, datastore: PostgresDatastore) -> None:
        self._db = datastore
        self._t = SQL("{0}.{1}").format(Identifier(datastore.schema), Identifier(INDEX_TABLE))

    def create_table(self) -> None:
        with self._db.transaction(commit=True) as curs:
            curs.execute(
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} (candidate_id uuid PRIMARY KEY, "
                    "municipality text NOT NULL, digest text NOT NULL)"
                ).format(self._t)
            )
            curs.execute(
                SQL(
                    "CREATE INDEX IF NOT EXISTS casebook_candidate_index_digest ON {0} (digest)"
                ).format(self._t)
            )

    def put(self, candidate_id: UUID, municipality: str, digest: str) -> None:
        with self._db.transaction(commit=True) as curs:
            curs.execute(
                SQL(
                    "INSERT INTO {0} (candidate_id, municipality, digest) VALUES (%s, %s, %s) "
                    "ON CONFLICT (candidate_id) DO NOTHING"
                ).format(self._t),
                (candidate_id, municipality, digest),
            )

    def find(self, digest: str) -> list[Entry]:
        with self._db.transaction(commit=False) as curs:
            curs.execute(
                SQL(
                    "SELECT candidate_id, municipality FROM {0} WHERE digest = %s "
                    "ORDER BY candidate_id"
                ).format(self._t),
                (digest,),
            )
            rows = curs.fetchall()
        return [(r["candidate_id"], r["municipality"]) for r in rows]

    def remove(self, candidate_id: UUID) -> None:
        with self._db.transaction(commit=True) as curs:
            curs.execute(
                SQL("DELETE FROM {0} WHERE candidate_id = %s").format(self._t), (candidate_id,)
            )


class SQLiteCprIndex(CprIndex):
    def __init__(self, datastore: SQLiteDatastore) -> None:
        self._db = datastore

    def create_table(self) -> None:
        with self._db.transaction(commit=True) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {INDEX_TABLE} (candidate_id TEXT PRIMARY KEY, "
                "municipality TEXT NOT NULL, digest TEXT NOT NULL)"
            )
            c.execute(
                "CREATE INDEX IF NOT EXISTS casebook_candidate_index_digest "
                f"ON {INDEX_TABLE} (digest)"
            )

    def put(self, candidate_id: UUID, municipality: str, digest: str) -> None:
        with self._db.transaction(commit=True) as c:
            c.execute(
                f"INSERT OR IGNORE INTO {INDEX_TABLE} (candidate_id, municipality, digest) "
                "VALUES (?, ?, ?)",
                (str(candidate_id), municipality, digest),
            )

    def find(self, digest: str) -> list[Entry]:
        with self._db.transaction(commit=False) as c:
            c.execute(
                f"SELECT candidate_id, municipality FROM {INDEX_TABLE} WHERE digest = ? "
                "ORDER BY candidate_id",
                (digest,),
            )
            rows = c.fetchall()
        return [(UUID(r[0]), r[1]) for r in rows]

    def remove(self, candidate_id: UUID) -> None:
        with self._db.transaction(commit=True) as c:
            c.execute("PRAGMA secure_delete = ON")
            c.execute(f"DELETE FROM {INDEX_TABLE} WHERE candidate_id = ?", (str(candidate_id),))


class MemoryCprIndex(CprIndex):
    def __init__(self) -> None:
        self._lock = Lock()
        self._entries: dict[UUID, tuple[str, str]] = {}

    def create_table(self) -> None:
        return None

    def put(self, candidate_id: UUID, municipality: str, digest: str) -> None:
        with self._lock:
            self._entries.setdefault(candidate_id, (municipality, digest))

    def find(self, digest: str) -> list[Entry]:
        with self._lock:
            return sorted((cid, m) for cid, (m, d) in self._entries.items() if d == digest)

    def remove(self, candidate_id: UUID) -> None:
        with self._lock:
            self._entries.pop(candidate_id, None)
