"""The read models a read joins, each at least at a log position (read-your-writes)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from infra.clock import local_now
from projections.base import Rows, Statement
from services.errors import ProjectionBehindError
from services.read.db import ProjectionDb, prefix_of

Build = Callable[[Callable[[str], str]], Sequence[Statement]]
"""Statements made with `prefix(name)`, the active tables of read model `name`."""


class ProjectionsAt:
    """The read models a read joins, each at least at `min_position`, and the clock whose
    today the read is about."""

    def __init__(
        self,
        views: ProjectionDb,
        min_position: int | None = None,
        clock: Callable[[], datetime] = local_now,
    ) -> None:
        self.views = views
        self.min_position = min_position
        self.clock = clock

    def today(self) -> date:
        """The reader's today, by the clock."""
        return self.clock().date()

    def prefix(self, name: str) -> str:
        """The active tables of read model `name`."""
        active = self._reached(name, self.views.active_generation(name))
        return prefix_of(name, active[0])

    def prefix_if_any(self, name: str) -> str | None:
        """The active tables of read model `name`, None if it has none yet (for reads
        that need no position and may come before the views are made)."""
        active = self.views.active_generation(name)
        return None if active is None else prefix_of(name, active[0])

    def query(self, statement: Statement) -> list[tuple[Any, ...]]:
        """The rows of one statement (made with `prefix`)."""
        return self.views.query(*statement)

    def read(self, names: Sequence[str], build: Build) -> Rows:
        """The rows of the statements `build(prefix)` makes with `prefix(name)`, the
        active tables of read model `name` (one of `names`), each read model checked
        against `min_position` as of the moment the rows were read; on PostgreSQL one
        round trip (`ProjectionDb.read_once`)."""
        active, rows = self.views.read_once(names, self._made(names, build))
        return self._checked(names, active, rows)

    async def read_async(self, names: Sequence[str], build: Build) -> Rows:
        """`read`, awaited on the event loop (`ProjectionDb.read_once_async`: on PostgreSQL
        without a worker thread)."""
        active, rows = await self.views.read_once_async(names, self._made(names, build))
        return self._checked(names, active, rows)

    def _made(
        self, names: Sequence[str], build: Build
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

    def _checked(
        self, names: Sequence[str], active: Mapping[str, tuple[int, int]], rows: Rows
    ) -> Rows:
        """The rows, if every read model read had reached `min_position` with them."""
        for name in names:
            self._reached(name, active.get(name))
        return rows

    def _reached(self, name: str, active: tuple[int, int] | None) -> tuple[int, int]:
        """Read model `name`'s active (generation, position), if it has reached
        `min_position`; else ProjectionBehindError."""
        if active is None or (self.min_position is not None and active[1] < self.min_position):
            raise self._behind(name)
        return active

    def _behind(self, name: str) -> ProjectionBehindError:
        return ProjectionBehindError(
            f"the {name} view has not reached position {self.min_position}; retry shortly"
        )
