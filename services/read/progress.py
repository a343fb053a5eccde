"""Waiting for read models to reach a log position, woken by their progress.

Runners (in this process) and LISTEN threads (progress of workers elsewhere)
call `Progress.bump`; waiters re-check their condition then, never on a timer.
A request waits as an asyncio task, so no threadpool thread is held while it
waits, and several read models share one deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterable

import psycopg
import structlog
from psycopg.sql import SQL, Identifier

from infra.persistence import notify_channel, postgres_conninfo
from infra.settings import Settings
from services.read.db import PROJECTIONS_CHANNEL, ProjectionDb, parse_announcement

log = structlog.get_logger(__name__)


class Progress:
    """Wakes threads and asyncio tasks waiting for a condition on read-model positions."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._tasks: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def bump(self) -> None:
        """Something moved on: every waiter checks its condition again."""
        with self._changed:
            self._changed.notify_all()
            tasks = list(self._tasks)
        for loop, event in tasks:
            with contextlib.suppress(RuntimeError):  # a closed loop: its waiter is gone
                loop.call_soon_threadsafe(event.set)

    def wait(self, reached: Callable[[], bool], timeout: float) -> bool:
        """Block this thread until `reached()` (False after `timeout` seconds)."""
        with self._changed:
            return self._changed.wait_for(reached, timeout)

    async def wait_async(self, reached: Callable[[], bool], timeout: float) -> bool:
        """Await `reached()` without holding a thread (False after `timeout` seconds).

        `reached` must not block: it reads positions held in memory.
        """
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        with self._changed:
            self._tasks.add(entry)
        try:
            async with asyncio.timeout(timeout):
                while not reached():
                    await event.wait()
                    event.clear()
            return True
        except TimeoutError:
            return False
        finally:
            with self._changed:
                self._tasks.discard(entry)


class ProjectionWatcher:
    """For API processes without runners: the active generations' positions, refreshed
    from the registry whenever the workers NOTIFY after a batch (PostgreSQL)."""

    def __init__(self, views: ProjectionDb, settings: Settings) -> None:
        self._views = views
        self._settings = settings
        self.progress = Progress()
        self.positions: dict[str, int] = {}
        self.generations: dict[str, int] = {}  # the active ones, as last read
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="view-watch", daemon=True)
        self._thread.start()

    def reached(self, position: int, names: Iterable[str]) -> bool:
        """Whether every named read model has reached `position` (as last heard)."""
        return all(self.positions.get(name, -1) >= position for name in names)

    async def wait_async(self, position: int, names: Iterable[str], timeout: float) -> bool:
        """Await every named read model reaching `position`, within one deadline."""
        wanted = list(names)
        return await self.progress.wait_async(lambda: self.reached(position, wanted), timeout)

    def stop(self) -> None:
        """Stop listening."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _refresh(self) -> None:
        try:
            active = self._views.active_generations()
        except Exception as e:  # the next NOTIFY or reconnect tries again
            log.warning("view_positions_failed", reason=str(e))
            return
        self.generations = {name: generation for name, (generation, _) in active.items()}
        self.positions = {name: position for name, (_, position) in active.items()}
        self.progress.bump()

    def _heard(self, payload: str) -> bool:
        """Take the positions an announcement carries (see `ProjectionDb.announce`), without
        asking the registry; False (ask it) for none, or for a generation not known to
        be active here (a rebuild may have swapped it in)."""
        moved = parse_announcement(payload)
        if not moved or any(
            self.generations.get(name) != generation for name, generation, _ in moved
        ):
            return False
        positions = dict(self.positions)
        for name, _, position in moved:
            positions[name] = max(positions.get(name, -1), position)
        self.positions = positions
        self.progress.bump()
        return True

    def _listen(self) -> None:
        listen(
            self._settings, PROJECTIONS_CHANNEL, self._refresh, self._stop, on_payload=self._heard
        )


def listen(
    settings: Settings,
    channel: str,
    on_notify: Callable[[], None],
    stop: threading.Event,
    on_state: Callable[[bool], None] | None = None,
    on_payload: Callable[[str], bool] | None = None,
) -> None:
    """Call `on_notify` for each NOTIFY on `channel` of this casebook's schema (unless
    `on_payload` takes the notification's payload and answers True), and after every
    (re)connect since notifications may have been missed meanwhile; reconnect with
    backoff until `stop`.
    `on_state` hears whether the LISTEN connection is up."""
    backoff = 0.5
    while not stop.is_set():
        try:
            with psycopg.connect(postgres_conninfo(settings), autocommit=True) as conn:
                conn.execute(
                    SQL("LISTEN {0}").format(
                        Identifier(notify_channel(channel, settings.postgres_schema))
                    )
                )
                if on_state is not None:
                    on_state(True)
                backoff = 0.5
                on_notify()
                while not stop.is_set():
                    # Several notifications at once need one look, not one each.
                    heard = [n.payload for n in conn.notifies(timeout=0.25, stop_after=1)]
                    if heard and not (on_payload and all(map(on_payload, heard))):
                        on_notify()
        except Exception as e:  # never stop listening: log, back off, reconnect
            log.warning("listen_failed", channel=channel, reason=str(e))
            if on_state is not None:
                on_state(False)
            stop.wait(backoff)
            backoff = min(backoff * 2, 30.0)
