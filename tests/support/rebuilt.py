"""Read models against a rebuild from zero: the followers' views, once they have reached
the log's head, must hold exactly the rows a fresh pass over the log gives."""

from __future__ import annotations

import time

from projections.registry import PROJECTIONS
from services.eventstore import CasebookApplication
from services.read.db import ProjectionDb, prefix_of
from services.read.runner import ProjectionRunner


def wait_for_views(views: ProjectionDb, head: int, timeout: float = 120.0) -> None:
    """Wait until every read model's active generation has reached `head`."""
    deadline = time.monotonic() + timeout
    while any((views.active_generation(p.name) or (0, 0))[1] < head for p in PROJECTIONS):
        assert time.monotonic() < deadline, f"the read models did not reach position {head}"
        time.sleep(0.2)


def assert_views_equal_rebuild(
    app: CasebookApplication, views: ProjectionDb, first_generation: int = 50
) -> int:
    """Every read model's live tables equal those of a rebuild from zero (into
    generations from `first_generation`, left inactive); the rows compared."""
    rows = 0
    for n, cls in enumerate(PROJECTIONS):
        live = views.active_generation(cls.name)
        assert live is not None, cls.name
        fresh = views.start_generation(cls, first_generation + n, active=False)
        ProjectionRunner(app, views, fresh, first_generation + n, 0).catch_up()
        for table in cls.table_names():
            ordered = f"SELECT * FROM {{}}{table} ORDER BY 1, 2"
            rebuilt = views.query(ordered.format(fresh.prefix))
            assert rebuilt == views.query(ordered.format(prefix_of(cls.name, live[0]))), (
                cls.name,
                table,
            )
            rows += len(rebuilt)
    return rows
