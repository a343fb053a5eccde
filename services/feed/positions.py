"""The relay's acknowledged position per stream, for /readyz and /metrics of any process."""

from __future__ import annotations

import time

from services.read.db import ProjectionDb

RELAY_TABLE = "casebook_relay"


def create_relay_table(views: ProjectionDb) -> None:
    """The relay's acknowledged position per stream (part of migrate)."""
    with views.transaction() as sql:
        sql.execute(
            f"CREATE TABLE IF NOT EXISTS {RELAY_TABLE} (stream TEXT PRIMARY KEY, "
            "position BIGINT NOT NULL, sequence BIGINT NOT NULL, "
            "updated_at DOUBLE PRECISION NOT NULL)"
        )


def saved_positions(views: ProjectionDb) -> dict[str, tuple[int, float]]:
    """Each stream's acknowledged log position and when it was saved (epoch seconds)."""
    rows = views.query(f"SELECT stream, position, updated_at FROM {RELAY_TABLE}")
    return {str(s): (int(p), float(t)) for s, p, t in rows}


def save_position(views: ProjectionDb, stream: str, position: int, sequence: int) -> None:
    """Record that the stream has acknowledged the log up to `position` (its `sequence`)."""
    with views.transaction() as sql:
        sql.execute(
            f"INSERT INTO {RELAY_TABLE} (stream, position, sequence, updated_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (stream) DO UPDATE SET "
            "position = excluded.position, sequence = excluded.sequence, "
            "updated_at = excluded.updated_at",
            (stream, position, sequence, time.time()),
        )
