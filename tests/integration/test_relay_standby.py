"""`casebook relay` with hot standbys: the active one killed again and again."""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time

import nats

from infra.jetstream import servers
from infra.settings import Settings
from services.eventstore import open_application
from services.feed.leader import relay_members
from services.read.db import ProjectionDb
from services.write.committer import GroupCommitter
from tests.support.relay import Writer, log_ids, stream_ids, varied_log, wait_until
from tests.support.running import nats_env

RELAYS = 3
KILLS = 4


def _start_relay(settings: Settings) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CASEBOOK_DATABASE_URL": settings.database_url,
        "CASEBOOK_POSTGRES_SCHEMA": settings.postgres_schema,
        **nats_env(settings),
        "CASEBOOK_RELAY_BATCH_SIZE": "50",
        "CASEBOOK_LOG_LEVEL": "warning",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "relay"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _last_sequence(settings: Settings) -> int:
    async def read() -> int:
        nc = await nats.connect(servers(settings.nats_url or ""))
        try:
            return int((await nc.jetstream().stream_info(settings.nats_stream)).state.last_seq)
        finally:
            await nc.close()

    return asyncio.run(read())


def _active_pid(views: ProjectionDb, settings: Settings) -> int | None:
    members = relay_members(views, settings.nats_stream)
    if members is None or members.active is None:
        return None
    return int(members.active.rpartition(":")[2])


def _standbys(views: ProjectionDb, settings: Settings) -> int:
    members = relay_members(views, settings.nats_stream)
    return len(members.standby) if members is not None else 0


def test_killing_the_active_relay_again_and_again_leaves_the_stream_equal_to_the_log(
    relay_settings: Settings,
) -> None:
    """Three relays; the one publishing is SIGKILLed four times while commands are
    written (a new standby started each time): a standby takes over every time and the
    stream equals the log (order, count, ids)."""
    settings = relay_settings
    app = open_application(settings)
    views = ProjectionDb(settings)
    staff = varied_log(app)
    committer = GroupCommitter(app)
    writer = Writer(committer, staff, pause=0.05)
    procs = {p.pid: p for p in (_start_relay(settings) for _ in range(RELAYS))}
    takeovers: list[float] = []
    writer.start()
    try:
        for _ in range(KILLS):
            wait_until(
                lambda: (
                    _active_pid(views, settings) in procs
                    and _standbys(views, settings) >= RELAYS - 1
                ),
                what="one active relay and its standbys",
            )
            time.sleep(0.5)  # publishing mid-stream
            active = _active_pid(views, settings)
            assert active is not None
            victim = procs.pop(active)
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            killed_at, before = time.monotonic(), _last_sequence(settings)
            wait_until(
                lambda before=before: _last_sequence(settings) > before,
                what="a standby to publish",
            )
            takeovers.append(time.monotonic() - killed_at)
            assert _active_pid(views, settings) in procs
            replacement = _start_relay(settings)
            procs[replacement.pid] = replacement
    finally:
        writer.halt.set()
        writer.join()
        committer.close()
    head = app.last_position()
    try:
        wait_until(
            lambda: (stream_ids(settings) or [(0, "")])[-1][0] >= head,
            what="the last active relay to catch up",
        )
    finally:
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            proc.wait(30)
        views.close()
    assert stream_ids(settings) == log_ids(app)
    print(
        f"events {head}, kills of the active relay {KILLS}, takeover (kill to the first "
        f"publish by the new holder) median {statistics.median(takeovers):.2f} s, "
        f"max {max(takeovers):.2f} s: {', '.join(f'{t:.2f}' for t in takeovers)}"
    )
    app.close()
