"""The relay under faults: killed, doubled, NATS stopped, an outage past the dedup window."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import nats
import pytest

from infra.jetstream import stream_config
from infra.settings import Settings
from services.bootstrap import build_services, migrate
from services.eventstore import CasebookApplication, open_application
from services.feed.leader import Unfenced
from services.feed.relay import Relay
from services.read.db import ProjectionDb
from services.write.committer import GroupCommitter
from tests.conftest import NatsFor, ThrowawayNats
from tests.support.relay import (
    Writer,
    log_contacts,
    log_ids,
    stream_ids,
    varied_log,
    wait_until,
)
from tests.support.running import nats_env
from tests.support.services import acting_client

KILLS = 10


@pytest.fixture
def store(relay_settings: Settings) -> Iterator[tuple[CasebookApplication, uuid.UUID]]:
    """The event store with the varied log, and the consultant who writes."""
    application = open_application(relay_settings)
    staff = varied_log(application)
    yield application, staff
    application.close()


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "CASEBOOK_DATABASE_URL": settings.database_url,
        "CASEBOOK_POSTGRES_SCHEMA": settings.postgres_schema,
        **nats_env(settings),
        "CASEBOOK_RELAY_BATCH_SIZE": "50",
        "CASEBOOK_LOG_LEVEL": "warning",
    }


def _start_relay(settings: Settings) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "relay"],
        env=_env(settings),
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    assert "relaying the log" in proc.stderr.readline()
    return proc


def test_a_relay_killed_at_random_points_and_nats_restarted_leaves_the_log_exactly(
    postgres_settings: Settings, own_nats: ThrowawayNats, nats_for: NatsFor
) -> None:
    """SIGKILL the relay process ten times mid-stream while commands are written, and
    restart NATS under a running relay halfway: the stream equals the log (order,
    count, ids)."""
    settings = nats_for(postgres_settings, own_nats.url)
    migrate(settings)
    app = open_application(settings)
    staff = varied_log(app)
    committer = GroupCommitter(app)
    writer = Writer(committer, staff, pause=0.1)  # a log the stream is read back from 11 times
    writer.start()
    rng = random.Random(5)
    kills_mid_stream = nats_restarts = 0
    try:
        for kill in range(KILLS):
            proc = _start_relay(settings)
            time.sleep(rng.uniform(0.2, 1.0))
            if kill == KILLS // 2:  # NATS goes away under the relay, and comes back
                own_nats.stop()
                time.sleep(rng.uniform(0.2, 1.0))
                own_nats.start()
                nats_restarts += 1
                time.sleep(rng.uniform(0.2, 1.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            published = stream_ids(settings)
            kills_mid_stream += 0 < len(published) < len(log_ids(app))
    finally:
        writer.halt.set()
        writer.join()
        committer.close()
    assert kills_mid_stream >= 1 and writer.written > 0
    final = _start_relay(settings)
    head = app.last_position()
    wait_until(
        lambda: (stream_ids(settings) or [(0, "")])[-1][0] >= head,
        what="the restarted relay to catch up",
    )
    final.send_signal(signal.SIGTERM)
    assert final.wait(30) == 0
    assert stream_ids(settings) == log_ids(app)
    print(
        f"events {head}, relay kills {KILLS} ({kills_mid_stream} mid-stream), "
        f"NATS restarts {nats_restarts}"
    )
    app.close()


def test_two_relays_at_once_neither_interleave_nor_duplicate(
    relay_settings: Settings,
    store: tuple[CasebookApplication, uuid.UUID],
) -> None:
    """Two relays publishing at once (no lock between them, as if one lost its lock
    without noticing): the stream's own fence keeps it equal to the log."""
    app, staff = store
    committer = GroupCommitter(app)
    views = ProjectionDb(relay_settings)
    small = relay_settings.model_copy(update={"relay_batch_size": 7})
    relays = [Relay(app, views, small, Unfenced()), Relay(app, views, small, Unfenced())]
    for relay in relays:
        relay.start()
    try:
        for round_ in range(10):
            log_contacts(committer, staff, 60, round_ * 60)
        head = app.last_position()
        wait_until(lambda: max(r.position for r in relays) >= head, what="the relays")
    finally:
        for relay in relays:
            relay.stop()
        committer.close()
        views.close()
    assert all(r.published > 0 for r in relays), [r.published for r in relays]
    assert stream_ids(relay_settings) == log_ids(app)


def test_a_resume_after_the_duplicate_window_publishes_nothing_twice(
    relay_settings: Settings,
    store: tuple[CasebookApplication, uuid.UUID],
) -> None:
    """With a 1 s duplicate window and the saved position reset to 0, a restarted relay
    resumes from the stream's last message, not from its saved position."""

    async def create_stream() -> None:
        nc = await nats.connect(relay_settings.nats_url or "")
        config = stream_config(relay_settings.nats_stream, relay_settings.nats_subject_prefix)
        config.duplicate_window = 1.0
        await nc.jetstream().add_stream(config)
        await nc.close()

    asyncio.run(create_stream())
    app, staff = store
    views = ProjectionDb(relay_settings)
    relay = Relay(app, views, relay_settings)
    relay.start()
    wait_until(lambda: relay.position >= app.last_position(), what="the first relay")
    relay.stop()
    time.sleep(1.5)  # past the duplicate window: Nats-Msg-Id no longer protects
    with views.transaction() as sql:
        sql.execute("UPDATE casebook_relay SET position = 0, sequence = 0")
    committer = GroupCommitter(app)
    log_contacts(committer, staff, 30)
    committer.close()
    again = Relay(app, views, relay_settings)
    again.start()
    wait_until(lambda: again.position >= app.last_position(), what="the restarted relay")
    again.stop()
    views.close()
    assert stream_ids(relay_settings) == log_ids(app)


def test_nats_stopped_and_started_loses_nothing_and_commands_go_on(
    postgres_settings: Settings,
    own_nats: ThrowawayNats,
    nats_for: NatsFor,
) -> None:
    """While NATS is down the API accepts commands and /readyz shows the relay's error;
    once NATS is back the relay catches up on its own and the stream equals the log."""
    settings = nats_for(postgres_settings, own_nats.url)
    migrate(settings)
    # With its read models followed in-process, so /readyz speaks for the relay alone.
    services = build_services(settings, run_projections=True, run_relay=True)
    client = acting_client(services)
    try:
        staff = client.post(
            "/staff", json={"name": "Gry Lyngbakke", "municipality": "165", "unit": "job_centre"}
        ).json()["id"]
        r = client.post(
            "/companies",
            json={"cvr": "13748136", "name": "Glans ApS", "municipality": "165", "by": staff},
        )
        assert r.status_code == 201, r.text
        assert services.relay is not None
        relay = services.relay
        wait_until(lambda: relay.position >= services.app.last_position(), what="relay")
        own_nats.stop()
        for i in range(20):
            r = client.post(
                "/companies/13748136/contacts",
                json={
                    "by": staff,
                    "channel": "phone",
                    "occurred_at": "2026-01-15T09:30:00+01:00",
                    "summary": f"call {i} while NATS is down",
                    "topics": [],
                },
            )
            assert r.status_code == 201, r.text
        wait_until(lambda: relay.error is not None, what="the relay to notice")
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["relay"]["error"] is not None
        assert ready.json()["relay"]["lag"] >= 20
        own_nats.start()
        head = services.app.last_position()
        wait_until(lambda: relay.position >= head, what="the relay to catch up")
        ready = client.get("/readyz").json()["relay"]
        assert ready["error"] is None and ready["lag"] == 0 and ready["connected"]
        assert stream_ids(settings) == log_ids(services.app)
    finally:
        services.close()
