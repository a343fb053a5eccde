"""Reading the read models for a request: each at least at the request's `?min_position=`
(read-your-writes), waited for as a task that holds no thread."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.concurrency import run_in_threadpool

from services.errors import PositionNotInLogError, ProjectionBehindError
from services.http.container import Services
from services.http.deps import get_services
from services.http.limits import MAX_POSITION
from services.read.projections_at import ProjectionsAt

MIN_POSITION_WAIT_SECONDS = 5.0
MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        le=MAX_POSITION,
        description=(
            "Answer only once the read model includes this log position (a command's `position`)."
        ),
    ),
]


def projections_at(services: Services, min_position: int | None = None) -> ProjectionsAt:
    """The services' read models at `min_position` (no waiting: for pages built from
    views that a `reading` dependency has already waited for, or that need no position),
    read about the services' clock's today."""
    return ProjectionsAt(services.reads, min_position, services.clock)


All = ("overview", "directory", "timeline", "candidates", "notices")
"""Every read model the pages join."""


def reading(*names: str) -> Callable[..., Coroutine[Any, Any, ProjectionsAt]]:
    """A dependency: wait (as a task, holding no thread) until the read models `names`
    reach the request's `?min_position=`, all within one deadline."""

    async def at_min_position(request: Request, min_position: MinPosition = None) -> ProjectionsAt:
        services = get_services(request)
        if min_position is not None:
            await _wait(services, names, min_position)
        return projections_at(services, min_position)

    return at_min_position


async def _wait(services: Services, names: tuple[str, ...], position: int) -> None:
    # On a replica, the positions that count are the replica's, not the workers'.
    waiter = services.replica_watcher or services.projections or services.watcher
    if waiter is None or waiter.reached(position, names):
        return
    # A position beyond the log's newest event is no command's answer (a command answers
    # once its event is committed): refused at once rather than after the whole wait.
    head = await run_in_threadpool(services.app.last_position)
    if position > head:
        raise PositionNotInLogError(
            f"position {position} is beyond the newest event in the log ({head}): "
            "read with the position a command answered"
        )
    if await waiter.wait_async(position, names, MIN_POSITION_WAIT_SECONDS):
        return
    behind = [name for name in names if not waiter.reached(position, [name])]
    raise ProjectionBehindError(
        f"the {' and '.join(behind or names)} view has not reached position {position} "
        f"within {MIN_POSITION_WAIT_SECONDS:g} s; retry shortly"
    )
