"""A projection runner: applies the log to one generation of one read model, a batch per
transaction that also records the new position, so a crash at any point leaves the view
exactly as of some earlier batch."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from projections.base import Projection, Sql
from services.eventstore import CasebookApplication
from services.read.batch import BatchSql, primary_keys
from services.read.db import REGISTRY, Moved, ProjectionDb, prefix_of
from services.read.decoding import to_event


class Overtaken(Exception):
    """Another runner recorded a newer position for this generation."""


class GenerationRetired(Exception):
    """A rebuild swapped in a newer generation; this runner's is no longer read."""


@dataclass
class RunnerStatus:
    """What /readyz shows of a runner."""

    name: str
    generation: int
    position: int
    error: str | None = None


class ProjectionRunner:
    """Applies the log to one generation of one projection, a batch per transaction."""

    def __init__(
        self,
        app: CasebookApplication,
        views: ProjectionDb,
        projection: Projection,
        generation: int,
        position: int,
        *,
        batch_size: int = 500,
        follow_active: bool = False,
    ) -> None:
        self.app = app
        self.follow_active = follow_active
        self.views = views
        self.projection = projection
        self.generation = generation
        self.position = position
        self.batch_size = batch_size
        self.error: str | None = None
        self.recounted = not projection.summaries  # (see `apply`)

    @classmethod
    def for_active(
        cls,
        app: CasebookApplication,
        views: ProjectionDb,
        projection_cls: type[Projection],
        *,
        batch_size: int = 500,
    ) -> ProjectionRunner:
        """The runner of the generation readers use (created by `migrate`)."""
        active = views.active_generation(projection_cls.name)
        if active is None:
            raise RuntimeError(f"no {projection_cls.name} read model: run `casebook migrate`")
        generation, position = active
        projection = projection_cls(prefix_of(projection_cls.name, generation))
        return cls(
            app, views, projection, generation, position, batch_size=batch_size, follow_active=True
        )

    def run_batch(self) -> int:
        """Apply the next batch of the log; return how many events it held."""
        notifications = self.app.log_page(self.position, self.batch_size)
        if not notifications:
            if not self.recounted:
                self.recount_summaries()
            return 0
        try:
            with self.views.transaction() as sql:
                self.apply(
                    sql, notifications, (to_event(self.app.mapper, n) for n in notifications)
                )
                self.views.announce(sql, [self.moved_to(notifications[-1].id)])
        except Overtaken:
            return 1  # not an error: go on from the newer position
        self.position, self.recounted = notifications[-1].id, True
        return len(notifications)

    def recount_summaries(self) -> None:
        """Count the read model's summaries whole, in a transaction of its own (under the
        registry row's lock, as a batch); `apply` does it in the first batch's."""
        with self.views.transaction() as sql:
            sql.execute(
                f"SELECT position FROM {REGISTRY} WHERE name = %s "
                f"AND generation = %s{self.views.row_lock}",
                (self.projection.name, self.generation),
            )
            sql.fetchall()
            self._recount(sql)
        self.recounted = True

    def _recount(self, sql: Sql) -> None:
        for summary in self.projection.summaries:
            for statement in self.projection.recount(summary):
                sql.execute(statement)

    def apply(self, sql: Sql, notifications: Sequence[Any], events: Iterable[Any]) -> None:
        """Apply a batch (its notifications and their decoded events) and record its last
        position, in the caller's transaction; the caller sets `position` once it commits.
        Raises Overtaken or GenerationRetired, and then writes nothing."""
        # Locks the row on PostgreSQL (SQLite's BEGIN IMMEDIATE already
        # serialises writers): a second runner waits, then sees it was overtaken.
        sql.execute(
            f"SELECT position, active FROM {REGISTRY} WHERE name = %s "
            f"AND generation = %s{self.views.row_lock}",
            (self.projection.name, self.generation),
        )
        [(recorded, active)] = sql.fetchall()
        if self.follow_active and not int(active):
            raise GenerationRetired(self.projection.name)
        if int(recorded) != self.position:
            self.position = int(recorded)
            raise Overtaken
        if not self.recounted:
            # This runner's first batch counts the summaries whole first: what a process of
            # an earlier release did meanwhile (it kept no summary, or another one) is then
            # as a rebuild leaves it. (The caller sets `recounted` once it commits.)
            self._recount(sql)
        buffered = BatchSql(sql, primary_keys(self.projection))
        applied = list(events)
        for n, event in zip(notifications, applied, strict=True):
            self.projection.process(event, n.id, buffered)
        buffered.flush()
        for statement, params in self.projection.refresh(applied):
            sql.execute(statement, params)
        sql.execute(
            f"UPDATE {REGISTRY} SET position = %s WHERE name = %s AND generation = %s",
            (notifications[-1].id, self.projection.name, self.generation),
        )

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Run batches until the log is exhausted; return the events applied."""
        total = 0
        while count := self.run_batch():
            total += count
            if progress is not None:
                progress(self.position)
        return total

    def moved_to(self, position: int) -> Moved:
        """What an announcement says of this runner at `position`."""
        return self.projection.name, self.generation, position

    def status(self) -> RunnerStatus:
        """Position and last error, for /readyz and /metrics."""
        return RunnerStatus(self.projection.name, self.generation, self.position, self.error)
