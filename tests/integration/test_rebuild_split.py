"""A rebuild split between processes (`services/rebuild.py`): each part stops at the
position the rebuild began at, and a part that fails stops the rebuild loudly."""

from __future__ import annotations

import uuid

import pytest

from domain.staff import StaffMember
from domain.values import StaffRole, Unit
from infra.settings import Settings
from projections.directory import DirectoryProjection
from projections.timeline import TimelineProjection
from services.application import migrate, open_application
from services.rebuild import RebuildRunner, _fill_apart, _Part
from services.views import ViewDb, prefix_of


def _staff(settings: Settings, n: int) -> int:
    """A migrated store with n staff members joined; the log's head."""
    migrate(settings)
    app = open_application(settings)
    try:
        app.save(*(StaffMember.join(staff_id=uuid.uuid4(), name=f"Gry {i}", municipality="165",
                                    unit=Unit.JOB_CENTRE, role=StaffRole.CONSULTANT,
                                    municipalities={"165"}) for i in range(n)))
        return app.last_position()
    finally:
        app.close()


def test_a_runner_stops_at_its_position(postgres_settings: Settings) -> None:
    """With `until`, a part applies the log up to that position and no further, however
    much more there is (the rest is applied to every read model together, later)."""
    head = _staff(postgres_settings, 12)
    app, views = open_application(postgres_settings), ViewDb(postgres_settings)
    try:
        projection = views.start_generation(DirectoryProjection, 2, active=False)
        runner = RebuildRunner(app, views, [(projection, 2)], batch_size=5, until=head - 4)
        try:
            assert runner.catch_up() == head - 4
            assert runner.position == views.least_position([("directory", 2)]) == head - 4
            runner.until = None
            runner.start_at(head - 4)
            assert runner.catch_up() == 4
        finally:
            runner.close()
        assert len(views.query(f"SELECT * FROM {prefix_of('directory', 2)}staff")) == 12
    finally:
        views.close()
        app.close()


def test_a_failing_part_stops_the_rebuild(postgres_settings: Settings) -> None:
    """A part whose read model cannot be filled (here: no such generation) makes the
    rebuild raise with the part's reason."""
    head = _staff(postgres_settings, 3)
    views = ViewDb(postgres_settings)
    views.start_generation(TimelineProjection, 2, active=False)
    try:
        with pytest.raises(RuntimeError, match=rf"stopped at position 0 of {head}"):
            _fill_apart(views, [_Part((("timeline", 2),), head, 100),
                                _Part((("directory", 99),), head, 100)], lambda _: None)
    finally:
        views.close()
