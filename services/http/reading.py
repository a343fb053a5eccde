"""Reading the read models for a request: each at least at the request's `?min_position=`
(read-your-writes), waited for as a task that holds no thread."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.concurrency import run_in_threadpool

from projections.base import Rows, Statement
from services.errors import PositionNotInLogError, ViewBehindError
from services.http.container import Services
from services.http.deps import get_services
from services.read.db import prefix_of

MIN_POSITION_WAIT_SECONDS = 5.0
MinPosition = Annotated[int | None, Query(ge=0, description=(
    "Answer only once the read model includes this log position (a command's `position`)."))]


class ViewsAt:
    """The read models a request joins, each at least at its `min_position`."""

    def __init__(self, services: Services, min_position: int | None) -> None:
        self.services = services
        self.min_position = min_position

    def prefix(self, name: str) -> str:
        """The active tables of read model `name`."""
        active = self._reached(name, self.services.views.active_generation(name))
        return prefix_of(name, active[0])

    def read(self, names: Sequence[str],
             build: Callable[[Callable[[str], str]], Sequence[Statement]]) -> Rows:
        """The rows of the statements `build(prefix)` makes with `prefix(name)`, the
        active tables of read model `name` (one of `names`), each read model checked
        against `min_position` as of the moment the rows were read; on PostgreSQL one
        round trip (`ViewDb.read_once`)."""
        active, rows = self.services.views.read_once(names, self._made(names, build))
        return self._checked(names, active, rows)

    async def read_async(self, names: Sequence[str],
                         build: Callable[[Callable[[str], str]], Sequence[Statement]]) -> Rows:
        """`read`, awaited on the event loop (`ViewDb.read_once_async`: on PostgreSQL
        without a worker thread)."""
        active, rows = await self.services.views.read_once_async(
            names, self._made(names, build))
        return self._checked(names, active, rows)

    def _made(self, names: Sequence[str],
              build: Callable[[Callable[[str], str]], Sequence[Statement]]
              ) -> Callable[[Mapping[str, int]], Sequence[Statement]]:
        """`build` for the generations a read assumes, naming only `names`' tables."""

        def made(generations: Mapping[str, int]) -> Sequence[Statement]:
            def prefix(name: str) -> str:
                if name not in names:  # it would not be checked against the registry
                    raise KeyError(f"{name} is not one of the read models read: {names}")
                if name not in generations:
                    raise self._behind(name)
                return prefix_of(name, generations[name])

            return build(prefix)

        return made

    def _checked(self, names: Sequence[str], active: Mapping[str, tuple[int, int]],
                 rows: Rows) -> Rows:
        """The rows, if every read model read had reached `min_position` with them."""
        for name in names:
            self._reached(name, active.get(name))
        return rows

    def _reached(self, name: str, active: tuple[int, int] | None) -> tuple[int, int]:
        """Read model `name`'s active (generation, position), if it has reached
        `min_position`; else ViewBehindError."""
        if active is None or (self.min_position is not None and active[1] < self.min_position):
            raise self._behind(name)
        return active

    def _behind(self, name: str) -> ViewBehindError:
        return ViewBehindError(
            f"the {name} view has not reached position {self.min_position}; retry shortly")


def view_prefix(services: Services, name: str, min_position: int | None) -> str:
    """The active tables of read model `name` (no waiting: for pages built from views
    that a `reading` dependency has already waited for, or that need no position)."""
    return ViewsAt(services, min_position).prefix(name)


All = ("overview", "directory", "timeline", "candidates")
"""Every read model the pages join."""


def reading(*names: str) -> Callable[..., Coroutine[Any, Any, ViewsAt]]:
    """A dependency: wait (as a task, holding no thread) until the read models `names`
    reach the request's `?min_position=`, all within one deadline."""

    async def at_min_position(request: Request, min_position: MinPosition = None) -> ViewsAt:
        services = get_services(request)
        if min_position is not None:
            await _wait(services, names, min_position)
        return ViewsAt(services, min_position)

    return at_min_position


async def _wait(services: Services, names: tuple[str, ...], position: int) -> None:
    waiter = services.projections or services.watcher
    if waiter is None or await waiter.wait_async(position, names,
                                                 MIN_POSITION_WAIT_SECONDS):
        return
    head = await run_in_threadpool(services.app.last_position)
    if position > head:
        raise PositionNotInLogError(
            f"position {position} is beyond the newest event in the log ({head}): "
            "read with the position a command answered")
    behind = [name for name in names if not waiter.reached(position, [name])]
    raise ViewBehindError(
        f"the {' and '.join(behind or names)} view has not reached position {position} "
        f"within {MIN_POSITION_WAIT_SECONDS:g} s; retry shortly")
