"""The seal: a follower that records each event's chain hash and the running digest.

It leaves the write path alone. Like a read model it follows the log from its
own position, a batch per transaction, and its rows are its position. Unlike
a read model it is never rebuilt: it is the record of what the log held when
it was sealed, which `verify` compares the log with (see the README).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from infra.seal import ZERO, event_hash, next_digest
from services.eventstore import CasebookApplication
from services.read.db import ProjectionDb

SEAL = "casebook_seal"
SEAL_NOT_REBUILT = (
    "the seal cannot be rebuilt: it records what the log held when it was "
    "sealed, and rebuilding it from the log would hide any change since; "
    "run `casebook verify`"
)
SEAL_LOCK_ID = 4_281_913_378  # advisory lock: one sealer at a time per database
SEAL_DDL = (
    f"CREATE TABLE IF NOT EXISTS {SEAL} (position BIGINT PRIMARY KEY, "
    "originator_id TEXT NOT NULL, originator_version BIGINT NOT NULL, "
    "prev TEXT NOT NULL, hash TEXT NOT NULL, digest TEXT NOT NULL)",
    f"CREATE INDEX IF NOT EXISTS {SEAL}_stream ON {SEAL} (originator_id, originator_version)",
)


def create_seal(views: ProjectionDb) -> None:
    """The seal's table (part of migrate)."""
    with views.transaction() as sql:
        for statement in SEAL_DDL:
            sql.execute(statement)


class Sealer:
    """Seals the log in batches: hash chain per stream, running digest per position."""

    def __init__(
        self,
        app: CasebookApplication,
        views: ProjectionDb,
        *,
        batch_size: int = 5000,
        postgres: bool = False,
    ) -> None:
        self.app = app
        self.views = views
        self.batch_size = batch_size
        self.postgres = postgres
        self.position = 0
        self._last: dict[str, tuple[int, bytes]] = {}  # stream -> newest sealed (version, h)

    def head(self) -> tuple[int, str]:
        """The sealed position and the digest there (0 and zeros when nothing is sealed)."""
        rows = self.views.query(
            f"SELECT position, digest FROM {SEAL} ORDER BY position DESC LIMIT 1"
        )
        return (int(rows[0][0]), str(rows[0][1])) if rows else (0, ZERO.hex())

    def digest_at(self, position: int) -> str | None:
        """The sealed digest after the last event at or before `position`."""
        rows = self.views.query(
            f"SELECT digest FROM {SEAL} WHERE position <= %s ORDER BY position DESC LIMIT 1",
            (position,),
        )
        return str(rows[0][0]) if rows else None

    def run_batch(self) -> int:
        """Seal the next batch of the log; return how many events it held."""
        if self.position and self.app.last_position() <= self.position:
            return 0  # nothing new since our last batch: no write transaction
        with self.views.transaction() as sql:
            if self.postgres:
                sql.execute("SELECT pg_advisory_xact_lock(%s)", (SEAL_LOCK_ID,))
            sql.execute(f"SELECT position, digest FROM {SEAL} ORDER BY position DESC LIMIT 1")
            rows = sql.fetchall()
            head, digest = (int(rows[0][0]), bytes.fromhex(rows[0][1])) if rows else (0, ZERO)
            notes = self.app.log_page(head, self.batch_size)
            sealed = []
            for n in notes:
                stream = str(n.originator_id)
                prev = self._prev(sql, stream, n.originator_version)
                h = event_hash(prev, n.originator_id, n.originator_version, n.id, n.topic, n.state)
                digest = next_digest(digest, h)
                self._last[stream] = (n.originator_version, h)
                sealed.append(
                    (n.id, stream, n.originator_version, prev.hex(), h.hex(), digest.hex())
                )
            if sealed:
                sql.executemany(
                    f"INSERT INTO {SEAL} (position, originator_id, "
                    "originator_version, prev, hash, digest) "
                    "VALUES (%s, %s, %s, %s, %s, %s)",
                    sealed,
                )
        if len(self._last) > 200_000:
            self._last.clear()
        self.position = sealed[-1][0] if sealed else head
        return len(sealed)

    def seal_all(self) -> tuple[int, str]:
        """Seal up to the current end of the log; return the sealed position and digest."""
        while self.run_batch():
            pass
        return self.head()

    def _prev(self, sql: Any, stream: str, version: int) -> bytes:
        if version <= 1:
            return ZERO
        cached = self._last.get(stream)
        if cached is not None and cached[0] == version - 1:
            return cached[1]
        sql.execute(
            f"SELECT hash FROM {SEAL} WHERE originator_id = %s AND originator_version = %s",
            (stream, version - 1),
        )
        rows = sql.fetchall()
        return bytes.fromhex(rows[0][0]) if rows else ZERO


def sealed_rows(views: ProjectionDb, page: int = 10_000) -> Iterator[tuple[Any, ...]]:
    """Every seal row in position order, a page per read."""
    after = -(2**62)
    while True:
        rows = views.query(
            f"SELECT position, originator_id, originator_version, prev, hash, "
            f"digest FROM {SEAL} WHERE position > %s ORDER BY position "
            "LIMIT %s",
            (after, page),
        )
        yield from rows
        if len(rows) < page:
            return
        after = int(rows[-1][0])
