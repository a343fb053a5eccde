"""API processes hear where read models moved to from the workers' announcements."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest

from domain.staff import StaffMember
from domain.values import StaffRole, Unit
from infra.persistence import notify_channel
from infra.settings import Settings
from services.bootstrap import migrate
from services.eventstore import open_application
from services.read.db import ProjectionDb, parse_announcement
from services.read.progress import Progress, ProjectionWatcher, listen
from services.read.projector import EVENTS_CHANNEL


@pytest.fixture
def watched(postgres_settings: Settings) -> Iterator[tuple[ProjectionDb, ProjectionWatcher]]:
    migrate(postgres_settings)
    views = ProjectionDb(postgres_settings)
    watcher = ProjectionWatcher(views, postgres_settings)
    assert watcher.progress.wait(lambda: "timeline" in watcher.generations, 10)
    yield views, watcher
    watcher.stop()
    views.close()


def _announce(views: ProjectionDb, *moved: tuple[str, int, int]) -> None:
    with views.transaction() as sql:
        views.announce(sql, list(moved))


def test_an_announced_position_is_taken_without_reading_the_registry(
    watched: tuple[ProjectionDb, ProjectionWatcher],
) -> None:
    """The registry still says 0; the watcher believes the announcement it heard."""
    views, watcher = watched
    generation = watcher.generations["timeline"]
    _announce(views, ("timeline", generation, 4242), ("directory", generation, 4242))
    assert watcher.progress.wait(lambda: watcher.reached(4242, ["timeline", "directory"]), 5)
    assert watcher.positions["overview"] == 0


def test_an_unknown_generation_makes_the_watcher_read_the_registry(
    watched: tuple[ProjectionDb, ProjectionWatcher],
) -> None:
    """A generation it does not know as active (a rebuild's) is not believed: the
    watcher reads the registry instead."""
    views, watcher = watched
    generation = watcher.generations["timeline"]
    _announce(views, ("timeline", generation, 4242))
    assert watcher.progress.wait(lambda: watcher.reached(4242, ["timeline"]), 5)
    _announce(views, ("timeline", generation + 1, 9999))
    assert watcher.progress.wait(lambda: watcher.positions["timeline"] == 0, 5)


def test_a_casebook_in_another_schema_of_the_database_is_not_heard(
    watched: tuple[ProjectionDb, ProjectionWatcher], postgres_settings: Settings
) -> None:
    """NOTIFY channels belong to the database, not to a schema: casebooks sharing one
    database (a schema each) announce on channels of their own, so another's read
    models moving on never make this one's readers believe theirs have."""
    views, watcher = watched
    generation = watcher.generations["timeline"]  # 1, as in every other casebook
    other = ProjectionDb(
        postgres_settings.model_copy(
            update={"postgres_schema": f"{postgres_settings.postgres_schema}_other"}
        )
    )
    try:
        _announce(other, ("timeline", generation, 4242))
        _announce(views, ("directory", generation, 17))  # committed after the other's
        assert watcher.progress.wait(lambda: watcher.reached(17, ["directory"]), 5)
        assert watcher.positions["timeline"] == 0
    finally:
        other.close()


def test_a_write_wakes_the_listeners_of_its_own_schema(postgres_settings: Settings) -> None:
    """The event store's NOTIFY (the recorder's channel) is on the channel the workers
    and the relay LISTEN on (`listen`, EVENTS_CHANNEL): a write wakes them at once."""
    migrate(postgres_settings)
    app = open_application(postgres_settings)
    woken, progress, stop = [0], Progress(), threading.Event()

    def wake() -> None:
        woken[0] += 1
        progress.bump()

    thread = threading.Thread(
        target=listen, args=(postgres_settings, EVENTS_CHANNEL, wake, stop), daemon=True
    )
    thread.start()
    try:
        assert progress.wait(lambda: woken[0] == 1, 10)  # listening (one call on connect)
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
        assert progress.wait(lambda: woken[0] == 2, 5)
    finally:
        stop.set()
        thread.join(5)
        app.close()


def test_every_schema_has_channels_of_its_own() -> None:
    """A channel is an identifier of at most 63 bytes: a long schema goes by its hash."""
    longest = "s" * 63
    channels = {
        notify_channel(name, schema)
        for name in ("casebook_views", "casebook_events")
        for schema in ("public", "t_0123456789ab", longest, longest[:-1] + "t")
    }
    assert len(channels) == 8
    assert max(len(channel) for channel in channels) <= 63
    assert notify_channel("casebook_views", "public") == "casebook_views_public"


def test_an_announcement_without_positions_is_read_as_none() -> None:
    """A bare or foreign payload carries nothing to believe."""
    assert parse_announcement("") == []
    assert parse_announcement("hello") == []
    assert parse_announcement("timeline:2:17,overview:3:17") == [
        ("timeline", 2, 17),
        ("overview", 3, 17),
    ]
