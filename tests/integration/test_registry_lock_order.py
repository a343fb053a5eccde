"""A rebuild and a worker lock read models' registry rows in one order (no deadlock)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from structlog.testing import capture_logs

from domain.staff import StaffMember
from domain.values import StaffRole, Unit
from infra.settings import Settings
from projections.directory import DirectoryProjection
from projections.timeline import TimelineProjection
from services.bootstrap import migrate
from services.eventstore import open_application
from services.read.batch import RecordedSql
from services.read.db import ProjectionDb, prefix_of
from services.read.projector import ProjectionService
from services.read.rebuild_runner import RebuildRunner


class _SlowAfterFirstLock:
    """A `Sql` that, after its first row lock, says so and waits before going on."""

    def __init__(self, sql: Any, locked: threading.Event) -> None:
        self._sql, self._locked = sql, locked

    def execute(self, statement: str, params: Any = ()) -> None:
        self._sql.execute(statement, params)
        if "FOR UPDATE" in statement and not self._locked.is_set():
            self._locked.set()
            time.sleep(0.5)  # the worker now takes its first lock and waits for ours

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sql, name)


def test_a_rebuild_writing_read_models_named_out_of_order_does_not_deadlock_a_worker(
    postgres_settings: Settings,
) -> None:
    """`casebook rebuild timeline directory` and a worker taking a batch together for
    every read model both lock directory's row before timeline's: the one that comes
    second waits, then finds it was overtaken, instead of one of them being aborted."""
    migrate(postgres_settings)
    app = open_application(postgres_settings)
    views, rebuild_views = ProjectionDb(postgres_settings), ProjectionDb(postgres_settings)
    app.save(
        StaffMember.join(
            staff_id=uuid.uuid4(),
            name="Gry",
            municipality="165",
            unit=Unit.JOB_CENTRE,
            role=StaffRole.CONSULTANT,
            municipalities={"165"},
        )
    )
    worker = ProjectionService(app, views, postgres_settings)
    rebuilding = RebuildRunner(
        app,
        rebuild_views,
        [
            (TimelineProjection(prefix_of("timeline", 1)), 1),
            (DirectoryProjection(prefix_of("directory", 1)), 1),
        ],
    )
    locked, failed = threading.Event(), []
    real = rebuild_views.transaction

    @contextmanager
    def slow(**kwargs: Any) -> Iterator[Any]:
        with real(**kwargs) as sql:
            yield _SlowAfterFirstLock(sql, locked)

    def write() -> None:
        try:
            rebuilding._write(
                [("timeline", 1, RecordedSql()), ("directory", 1, RecordedSql())],
                0,
                app.last_position(),
            )
        except Exception as e:
            failed.append(type(e).__name__)

    rebuild_views.transaction = slow  # type: ignore[method-assign]
    writer = threading.Thread(target=write)
    try:
        writer.start()
        assert locked.wait(10)
        with capture_logs() as logs:
            assert worker._run_together() is None  # overtaken by the rebuild
        writer.join(30)
        assert failed == []
        assert [e.get("error") for e in logs if e["event"] == "projections_apart"] == ["Overtaken"]
    finally:
        rebuilding.close()
        rebuild_views.close()
        views.close()
        app.close()
