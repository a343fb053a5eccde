"""Projection runners: follow the event log and keep the read models current.

A runner reads the log after its projection's recorded position, in batches,
and applies each batch in one transaction that also records the new position,
so a crash at any point leaves the view exactly as of some earlier batch.
Read models at the same position (as they are while following) take a batch
together: read and decoded once, in one transaction with all their positions.
Runners are woken by new events (the committer in the embedded mode, LISTEN
on PostgreSQL) and poll once a second besides; a failing batch is retried with
backoff, and the failure is visible in /readyz.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from typing import Protocol

import structlog

from infra.settings import Settings
from projections.registry import PROJECTIONS
from services.eventstore import CasebookApplication
from services.read.db import ProjectionDb
from services.read.decoding import to_event
from services.read.heartbeat import BEAT_SECONDS, WorkerStatus, beat, forget, new_worker_id
from services.read.progress import Progress, listen
from services.read.runner import GenerationRetired, ProjectionRunner

log = structlog.get_logger(__name__)
EVENTS_CHANNEL = "casebook_events"  # the event store's NOTIFY channel, of each schema
# (`notify_channel`: the recorder's `channel_name`)


class Follower(Protocol):
    """Something else that follows the log beside the read models (the seal): it keeps
    its own position and takes the next batch when asked."""

    def run_batch(self) -> int:
        """Take the next batch of the log; return how many events it held."""
        ...


class ProjectionService:
    """Runs every projection in one background thread and tells waiters of progress."""

    def __init__(
        self,
        app: CasebookApplication,
        views: ProjectionDb,
        settings: Settings,
        followers: Sequence[Follower] = (),
    ) -> None:
        self.runners = [
            ProjectionRunner.for_active(app, views, p, batch_size=settings.projection_batch_size)
            for p in PROJECTIONS
        ]
        self._settings = settings
        self.followers = list(followers)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._nudge = threading.Event()  # beat now
        self.progress = Progress()
        self.worker = WorkerStatus(
            new_worker_id(),
            started_at=time.time(),
            loop_at=time.time(),
            listening=False if settings.backend == "postgres" else None,
        )
        self._views = views
        self._threads = [
            threading.Thread(target=self._follow, name="projections", daemon=True),
            threading.Thread(target=self._beat, name="heartbeat", daemon=True),
        ]
        if settings.backend == "postgres":
            self._threads.append(threading.Thread(target=self._listen, name="listen", daemon=True))

    def start(self) -> None:
        """Start following the log (and say so at once, for /readyz elsewhere)."""
        try:
            beat(self._views, self.worker)
        except Exception as e:  # the heartbeat thread tries again
            log.warning("heartbeat_failed", reason=str(e))
        for thread in self._threads:
            thread.start()

    def wake(self, position: int = 0) -> None:
        """New events were written (called by the committer after each commit)."""
        self._wake.set()

    def reached(self, position: int, names: Iterable[str] | None = None) -> bool:
        """Whether the named read models (or every one) have reached `position`."""
        wanted = None if names is None else set(names)
        return all(
            r.position >= position
            for r in self.runners
            if wanted is None or r.projection.name in wanted
        )

    def wait_for(self, position: int, timeout: float, name: str | None = None) -> bool:
        """Block until the read model `name` (or every one) has reached `position`."""
        names = None if name is None else [name]
        return self.progress.wait(lambda: self.reached(position, names), timeout)

    async def wait_async(self, position: int, names: Iterable[str], timeout: float) -> bool:
        """Await every named read model reaching `position`, within one deadline."""
        wanted = list(names)
        return await self.progress.wait_async(lambda: self.reached(position, wanted), timeout)

    def stop(self) -> None:
        """Stop following (the current batch finishes)."""
        self._stop.set()
        self._wake.set()
        self._nudge.set()
        for thread in self._threads:
            thread.join(timeout=10)
        try:
            forget(self._views, self.worker.worker)
        except Exception as e:  # stale rows are forgotten by other workers later
            log.warning("heartbeat_forget_failed", reason=str(e))

    def _beat(self) -> None:
        """Tell other processes (their /readyz) how this worker is doing."""
        while True:
            w = self.worker
            w.errors = {r.projection.name: r.error for r in self.runners if r.error}
            try:
                beat(self._views, w)
            except Exception as e:  # the database may be away; readers see us go stale
                log.warning("heartbeat_failed", reason=str(e))
            self._nudge.wait(BEAT_SECONDS)
            self._nudge.clear()
            if self._stop.is_set():
                return

    def _follow(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            self.worker.loop_at = time.time()
            together = self._run_together()
            moved, failed = (0, False) if together is None else (together, False)
            for i, runner in enumerate(self.runners if together is None else []):
                try:  # one failing does not stop the others
                    moved += runner.run_batch()
                    runner.error = None
                except GenerationRetired:
                    self._switch(i)
                    moved += 1
                except Exception as e:  # keep following: log, show in /readyz, back off
                    log.warning(
                        "projection_failed",
                        name=runner.projection.name,
                        error=type(e).__name__,
                        reason=str(e),
                    )
                    runner.error = type(e).__name__
                    failed = True
            for follower in self.followers:
                try:
                    moved += follower.run_batch()
                except Exception as e:  # like a read model: log, back off, go on
                    log.warning(
                        "follower_failed",
                        follower=type(follower).__name__,
                        error=type(e).__name__,
                        reason=str(e),
                    )
                    failed = True
            if moved:
                self.worker.last_batch_at = time.time()
            self.progress.bump()
            try:
                if failed or not moved:
                    self._follow_rebuilds()  # a rebuild may have swapped our generation
            except Exception as e:  # the view database may be unreachable
                log.warning("projection_registry_failed", reason=str(e))
                failed = True
            if failed:
                self.worker.backoff_seconds = backoff
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff, self.worker.backoff_seconds = 0.5, 0.0
            if not moved:
                self._wake.wait(1.0)
                self._wake.clear()

    def _run_together(self) -> int | None:
        """When every read model is at the same position (as they are while following),
        apply the next batch to all of them in one transaction: the log read and each
        event decoded once, one commit and one announcement instead of one per read model.
        None when they are apart or the batch fails: then each runs on its own, so a
        failing read model does not hold back the others and shows its error."""
        position = self.runners[0].position
        if any(r.position != position or r.error for r in self.runners):
            return None
        first = self.runners[0]
        try:  # reading or decoding failing too: each on its own shows it
            notifications = first.app.log_page(position, first.batch_size)
            if not notifications:
                return 0
            events = [to_event(first.app.mapper, n) for n in notifications]
            with self._views.transaction() as sql:
                # Registry rows locked in name order, as a rebuild does (no deadlock).
                for runner in sorted(self.runners, key=lambda r: r.projection.name):
                    runner.apply(sql, notifications, events)
                self._views.announce(sql, [r.moved_to(notifications[-1].id) for r in self.runners])
        except Exception as e:  # each on its own, at once, tells which one and why
            log.info("projections_apart", error=type(e).__name__, reason=str(e))
            return None
        for runner in self.runners:
            runner.position, runner.recounted = notifications[-1].id, True
        return len(notifications)

    def _follow_rebuilds(self) -> None:
        """Switch to a generation that `casebook rebuild` made active (the registry read
        once for every read model)."""
        active = self._views.active_generations()
        for i, runner in enumerate(self.runners):
            if active.get(runner.projection.name, (None, 0))[0] != runner.generation:
                self._switch(i)

    def _switch(self, i: int) -> None:
        """Replace runner i with one on its read model's active generation."""
        old = self.runners[i]
        self.runners[i] = ProjectionRunner.for_active(
            old.app, old.views, type(old.projection), batch_size=old.batch_size
        )
        log.info(
            "projection_switched", name=old.projection.name, generation=self.runners[i].generation
        )

    def _listen(self) -> None:
        """Wake on the event store's NOTIFY (PostgreSQL)."""
        listen(self._settings, EVENTS_CHANNEL, self._wake.set, self._stop, on_state=self._listening)

    def _listening(self, up: bool) -> None:
        self.worker.listening = up
        self._nudge.set()  # tell other processes at once, not at the next beat
