"""The relay's lock on real PostgreSQL: one holder, a standby that takes over, fencing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from infra.settings import Settings
from services.eventstore import CasebookApplication, open_application
from services.feed.leader import AdvisoryLock, LeadershipLostError, Members, relay_members
from services.feed.relay import Relay
from services.read.db import ProjectionDb
from services.write.committer import GroupCommitter
from tests.support.relay import log_contacts, log_ids, stream_ids, varied_log, wait_until


@pytest.fixture
def store(relay_settings: Settings) -> Iterator[tuple[CasebookApplication, uuid.UUID]]:
    """The event store with the varied log, and the consultant who writes."""
    application = open_application(relay_settings)
    staff = varied_log(application)
    yield application, staff
    application.close()


def test_only_one_of_two_locks_is_held_and_the_other_takes_it_when_the_first_closes(
    relay_settings: Settings,
) -> None:
    """Two relays' locks on one stream: only the first gets it; the second gets it once
    the first's connection is closed, and any process sees who holds it."""
    views = ProjectionDb(relay_settings)
    stream = relay_settings.nats_stream

    async def run() -> None:
        first = AdvisoryLock(relay_settings, stream, "first")
        second = AdvisoryLock(relay_settings, stream, "second")
        assert await first.acquire() is True
        assert await second.acquire() is False
        await first.check()
        assert relay_members(views, stream) == Members("first", ["second"])
        with pytest.raises(LeadershipLostError):
            await second.check()
        await first.release()
        assert await second.acquire() is True
        assert relay_members(views, stream) == Members("second", [])
        other = relay_settings.model_copy(update={"postgres_schema": "other_schema"})
        elsewhere = AdvisoryLock(other, stream, "elsewhere")  # its own key: not a rival
        assert await elsewhere.acquire() is True
        for lock in (second, elsewhere):
            await lock.release()
        assert relay_members(views, stream) == Members(None, [])

    try:
        asyncio.run(run())
    finally:
        views.close()


def _terminate(settings: Settings, worker: str) -> None:
    """End a relay's lock connection from the server's side (as a lost link would)."""
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (f"casebook-relay {worker}",),
        )


def test_a_standby_relay_publishes_only_when_the_active_one_stops_or_loses_its_lock(
    relay_settings: Settings, store: tuple[CasebookApplication, uuid.UUID]
) -> None:
    """Two relays in one process: one publishes, the other stands by; it takes over
    when the first's lock connection is cut (the first stops publishing) and again
    when the first, back as a standby, is the only one left; the stream equals the log."""
    app, staff = store
    committer = GroupCommitter(app)
    views = ProjectionDb(relay_settings)
    # After losing its lock a relay waits a poll before trying again: the quick one goes first.
    slow, quick = (
        relay_settings.model_copy(update={"relay_batch_size": 7, "relay_standby_poll_seconds": s})
        for s in (2.0, 0.1)
    )
    first = Relay(app, views, slow, AdvisoryLock(slow, slow.nats_stream, "first"))
    first.start()
    wait_until(lambda: first.active, what="the first relay to take the lock")
    second = Relay(app, views, quick, AdvisoryLock(quick, quick.nats_stream, "second"))
    second.start()
    try:
        log_contacts(committer, staff, 100)
        wait_until(lambda: first.position >= app.last_position(), what="the first relay")
        assert second.published == 0 and not second.active
        assert [r.status().active for r in (first, second)] == [True, False]
        _terminate(relay_settings, "first")
        wait_until(lambda: second.active, what="the standby to take over")
        published = first.published
        log_contacts(committer, staff, 100, 100)
        wait_until(lambda: second.position >= app.last_position(), what="the second relay")
        assert first.published == published and not first.active
        second.stop()
        wait_until(lambda: first.active, what="the first relay to take the lock again")
        log_contacts(committer, staff, 100, 200)
        wait_until(lambda: first.position >= app.last_position(), what="the first again")
    finally:
        for relay in (first, second):
            relay.stop()
        committer.close()
        views.close()
    assert first.published > 0 and second.published > 0
    assert stream_ids(relay_settings) == log_ids(app)
