"""The stored log and its seal side by side, straight from the database, for verify.

Both are read in one read transaction (one snapshot, so a sealer running
meanwhile cannot make a sealed row look like a removed event), through
streaming cursors in position order: memory stays flat however long the log.
`joined_log` is PostgreSQL's fast path: one query joining each event to its
seal row, streamed (the server sends rows while the client hashes them).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any, cast
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

from infra.persistence import APP_NAME, postgres_conninfo
from infra.settings import Settings

SEAL = "casebook_seal"
# (position, stream id as text, stream id as 16 bytes, version, topic, state)
EventRow = tuple[int, str, bytes, int, str, bytes]
# (position, stream id as text, version, prev, hash, digest) -- hashes in hex
SealRow = tuple[int, str, int, str, str, str]
Pair = tuple[EventRow | None, SealRow | None]
ITERSIZE = 10_000
# (position, stream id as 16 bytes, version, topic, state, seal row's stream is the
# event's, then the seal row at that position: version, prev, hash, digest (hex text);
# the seal's columns are None where it has no row at the event's position)
JoinedRow = tuple[
    int, bytes, int, str, bytes, bool | None, int | None, str | None, str | None, str | None
]
CHUNK = 5_000


def _merge(events: Iterator[EventRow], seal: Iterator[SealRow]) -> Iterator[Pair]:
    e, s = next(events, None), next(seal, None)
    while e is not None or s is not None:
        if s is None or (e is not None and e[0] < s[0]):
            yield e, None
            e = next(events, None)
        elif e is None or s[0] < e[0]:
            yield None, s
            s = next(seal, None)
        else:
            yield e, s
            e, s = next(events, None), next(seal, None)


def log_and_seal(settings: Settings) -> Iterator[Pair]:
    """(event, seal row) pairs in position order; either is None where the other
    has no counterpart at that position."""
    if settings.backend == "postgres":
        yield from _postgres(settings)
    elif settings.backend == "sqlite":
        yield from _sqlite(settings)
    else:
        raise ValueError("the raw log reader needs SQLite or PostgreSQL")


def _postgres(settings: Settings) -> Iterator[Pair]:
    schema = Identifier(settings.postgres_schema)
    with psycopg.connect(postgres_conninfo(settings)) as conn:
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with (
            conn.transaction(),
            conn.cursor(name="verify_events", binary=True) as ec,
            conn.cursor(name="verify_seal", binary=True) as sc,
        ):
            ec.itersize = sc.itersize = ITERSIZE
            ec.execute(
                SQL(
                    "SELECT notification_id, originator_id::text, uuid_send(originator_id), "
                    "originator_version, topic, state FROM {0}.{1} ORDER BY notification_id"
                ).format(schema, Identifier(f"{APP_NAME}_events"))
            )
            sc.execute(
                SQL(
                    "SELECT position, originator_id, originator_version, prev, hash, digest "
                    "FROM {0}.{1} ORDER BY position"
                ).format(schema, Identifier(SEAL))
            )
            yield from _merge(iter(ec), iter(sc))


@contextmanager
def joined_log(settings: Settings) -> Iterator[tuple[int, int, Iterator[JoinedRow]]]:
    """(seal rows, last sealed position, every event joined to its seal row in position
    order), all from one PostgreSQL snapshot. Seal rows without an event do not appear:
    compare their count with the joined rows'."""
    schema = Identifier(settings.postgres_schema)
    with psycopg.connect(postgres_conninfo(settings)) as conn:
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with conn.transaction(), conn.cursor(binary=True) as cur:
            # A merge join of the two position indexes streams in order from the first
            # row; a hash join or a sort would make the server hold the whole log first.
            for setting in ("enable_hashjoin", "enable_sort", "jit"):
                cur.execute(SQL("SET LOCAL {0} = off").format(Identifier(setting)))
            cur.execute(
                SQL("SELECT count(*), coalesce(max(position), 0) FROM {0}.{1}").format(
                    schema, Identifier(SEAL)
                )
            )
            counted = cur.fetchone()
            assert counted is not None
            rows = cast(
                Generator[JoinedRow, None, None],
                cur.stream(
                    SQL(
                        "SELECT e.notification_id, uuid_send(e.originator_id), "
                        "e.originator_version, e.topic, e.state, "
                        "s.originator_id = e.originator_id::text, s.originator_version, "
                        "s.prev, s.hash, s.digest "
                        "FROM {0}.{1} e LEFT JOIN {0}.{2} s ON s.position = e.notification_id "
                        "ORDER BY e.notification_id"
                    ).format(schema, Identifier(f"{APP_NAME}_events"), Identifier(SEAL)),
                    size=CHUNK,
                ),
            )
            try:
                yield int(counted[0]), int(counted[1]), rows
            finally:
                rows.close()  # stopped early: cancel the rest of the query


def _sqlite(settings: Settings) -> Iterator[Pair]:
    conn = sqlite3.connect(settings.sqlite_path(), isolation_level=None)
    try:
        conn.execute("BEGIN")  # one read snapshot for both cursors (WAL)
        events = conn.execute(
            "SELECT rowid, originator_id, originator_version, topic, state "
            "FROM stored_events ORDER BY rowid"
        )
        seal = conn.execute(
            f"SELECT position, originator_id, originator_version, prev, hash, "
            f"digest FROM {SEAL} ORDER BY position"
        )
        yield from _merge((_sqlite_event(r) for r in events), iter(seal))
        conn.execute("COMMIT")
    finally:
        conn.close()


def _sqlite_event(row: Any) -> EventRow:
    stream = UUID(row[1])
    return row[0], str(stream), stream.bytes, row[2], row[3], row[4]
