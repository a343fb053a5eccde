"""Reading from a PostgreSQL streaming replica (`CASEBOOK_READ_DATABASE_URL`).

The replica's read models are the primary's, replayed from its WAL: their tracking
positions (the registry) arrive with their rows. A read-your-writes wait therefore
watches the positions as read on the replica itself. A standby cannot LISTEN, and the
primary's NOTIFY of a batch comes before the replica has replayed it, so the watcher
polls the replica's registry, and only while a request waits.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import structlog

from services.read.db import ProjectionDb
from services.read.progress import Progress

log = structlog.get_logger(__name__)

POLL_SECONDS = 0.05  # between looks at the replica's registry while a request waits
LSN_LAG = "SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn())"
STANDBY = (
    "SELECT pg_is_in_recovery(), "
    "CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END, "
    "CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text END"
)


class ReplicaWatcher:
    """For API processes reading from a replica: the active read models' positions on
    the replica, looked up every POLL_SECONDS while some request waits for one."""

    def __init__(self, replica: ProjectionDb, poll_seconds: float = POLL_SECONDS) -> None:
        self._replica = replica
        self._poll_seconds = poll_seconds
        self.progress = Progress()
        self.positions: dict[str, int] = {}
        self._waiting = 0
        self._failing = False  # the last look at the replica failed
        self._lock = threading.Lock()
        self._wanted = threading.Event()  # set while a request waits
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="replica-watch", daemon=True)
        self._thread.start()

    def reached(self, position: int, names: Iterable[str]) -> bool:
        """Whether every named read model had reached `position` on the replica (as last
        looked up)."""
        return all(self.positions.get(name, -1) >= position for name in names)

    async def wait_async(self, position: int, names: Iterable[str], timeout: float) -> bool:
        """Await every named read model reaching `position` on the replica, within one
        deadline."""
        wanted = list(names)
        self._enter()
        try:
            return await self.progress.wait_async(lambda: self.reached(position, wanted), timeout)
        finally:
            self._leave()

    def stop(self) -> None:
        """Stop looking."""
        self._stop.set()
        self._wanted.set()
        self._thread.join(timeout=5)

    def _enter(self) -> None:
        with self._lock:
            self._waiting += 1
            self._wanted.set()

    def _leave(self) -> None:
        with self._lock:
            self._waiting -= 1
            if self._waiting == 0:
                self._wanted.clear()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._wanted.wait()
            if self._stop.is_set():
                return
            self._refresh()
            self._stop.wait(self._poll_seconds)

    def _refresh(self) -> None:
        try:
            active = self._replica.active_generations()
        except Exception as e:  # the replica is down or restarting: the wait times out
            if not self._failing:  # once, not at every look while it stays down
                log.warning("replica_positions_failed", reason=str(e))
            self._failing = True
            return
        if self._failing:
            log.info("replica_positions_read_again")
        self._failing = False
        self.positions = {name: position for name, (_, position) in active.items()}
        self.progress.bump()


def read_database(primary: ProjectionDb, replica: ProjectionDb) -> dict[str, Any]:
    """The read database's state for /readyz: whether it is a standby, whether its
    replay is paused, how many bytes of the primary's WAL it has still to replay, and
    each read model's position there and its lag behind the primary's; or its error."""
    body: dict[str, Any] = {"status": "ok", "error": None}
    try:
        ((standby, paused, replayed),) = replica.query(STANDBY)
        wal_lag = None
        if standby:
            ((current,),) = primary.query("SELECT pg_current_wal_lsn()::text")
            ((wal_lag,),) = replica.query(LSN_LAG, (current,))
        here = replica.active_generations()
    except Exception as e:  # readiness reports a failing replica, it never raises
        log.warning("read_database_failed", reason=str(e))
        return {"status": "error", "error": "the read database does not answer"}
    there = primary.active_generations()
    lags = {name: max(there.get(name, (0, pos))[1] - pos, 0) for name, (_, pos) in here.items()}
    views = [
        {"name": name, "position": position, "lag": lags[name]}
        for name, (_, position) in sorted(here.items())
    ]
    lag = max(lags.values(), default=0)
    body |= {
        "standby": bool(standby),
        "replay_paused": bool(paused),
        "replay_lsn": replayed,
        "wal_lag_bytes": None if wal_lag is None else max(int(wal_lag), 0),
        "lag": lag,
        "views": views,
    }
    if lag:
        body["status"] = "lag"
    return body
