"""Projection workers' status, visible to every process: one heartbeat row per worker.

Each `ProjectionService` (the `casebook project` process, or the API process in
the embedded mode) writes its row every few seconds: whether its LISTEN
connection is up, when it last applied a batch, each read model's error and
the current backoff. /readyz in any process reads the rows; a row whose
heartbeat is older than `STALE_SECONDS` belongs to a worker that died or hangs.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from services.read.db import RUNNERS, ProjectionDb

BEAT_SECONDS = 5.0
STALE_SECONDS = 3 * BEAT_SECONDS
STALLED_SECONDS = 60.0  # the follow loop turns at least every 30 s (the longest backoff)
FORGET_SECONDS = 600.0  # rows of workers silent this long are removed


@dataclass
class WorkerStatus:
    """What one projection worker says about itself."""

    worker: str
    started_at: float
    heartbeat_at: float = 0.0
    loop_at: float = 0.0
    last_batch_at: float | None = None
    listening: bool | None = None  # None: no LISTEN in this mode (SQLite, memory)
    backoff_seconds: float = 0.0
    errors: dict[str, str] = field(default_factory=dict)

    def problems(self, now: float) -> list[str]:
        """Why this worker is not following the log properly (empty when it is)."""
        found = []
        if now - self.heartbeat_at > STALE_SECONDS:
            found.append(f"no heartbeat for {now - self.heartbeat_at:.0f} s")
        elif now - self.loop_at > STALLED_SECONDS:
            found.append(f"the follow loop has not turned for {now - self.loop_at:.0f} s")
        if self.listening is False:
            found.append("the LISTEN connection is down")
        found += [f"{name}: {error}" for name, error in sorted(self.errors.items())]
        return found


def new_worker_id() -> str:
    """host:pid:random, unique per projection service."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def beat(views: ProjectionDb, status: WorkerStatus) -> None:
    """Write this worker's row (and forget workers silent for long)."""
    now = time.time()
    status.heartbeat_at = now
    body = json.dumps(asdict(status))
    with views.transaction() as sql:
        sql.execute(f"DELETE FROM {RUNNERS} WHERE heartbeat_at < %s", (now - FORGET_SECONDS,))
        sql.execute(
            f"INSERT INTO {RUNNERS} (worker, heartbeat_at, status) VALUES (%s, %s, %s) "
            "ON CONFLICT (worker) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, "
            "status = excluded.status",
            (status.worker, now, body),
        )


def forget(views: ProjectionDb, worker: str) -> None:
    """Remove a worker's row when it stops cleanly."""
    with views.transaction() as sql:
        sql.execute(f"DELETE FROM {RUNNERS} WHERE worker = %s", (worker,))


def workers(views: ProjectionDb) -> list[WorkerStatus]:
    """Every worker's last word, oldest start first."""
    rows = views.query(f"SELECT status FROM {RUNNERS} ORDER BY worker")
    found = [WorkerStatus(**_fields(json.loads(text))) for (text,) in rows]
    return sorted(found, key=lambda w: w.started_at)


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    known = set(WorkerStatus.__dataclass_fields__)
    return {k: v for k, v in data.items() if k in known}
