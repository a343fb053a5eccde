"""A projection worker killed at any point ends exactly where a rebuild from zero does."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

from bench.setup import COMPANIES, company_cvrs, seed
from infra.settings import Settings
from services.bootstrap import migrate
from services.eventstore import open_application
from services.read.db import ProjectionDb
from services.write import companies as commands
from services.write.committer import GroupCommitter
from tests.support.rebuilt import assert_views_equal_rebuild, wait_for_views

EVENTS = 4000
KILLS = 10


def _write_log(settings: Settings) -> int:
    app = open_application(settings)
    staff = seed(app)
    committer = GroupCommitter(app)
    cvrs = company_cvrs()
    now = datetime.now(UTC)
    for i in range(EVENTS):
        committer.submit(
            commands.log_contact(
                cvr=cvrs[i % COMPANIES],
                by=staff,
                contact_id=uuid.uuid4(),
                channel="phone",
                occurred_at=now,
                summary=f"call {i}",
                topics=[],
                now=now,
            )
        )
    committer.close()
    head = app.last_position()
    app.close()
    return head


def test_a_worker_killed_mid_batch_resumes_to_the_rebuilt_state(
    postgres_settings: Settings,
) -> None:
    """kill -9 ten times while processing, restart: the views equal a rebuild."""
    migrate(postgres_settings)
    head = _write_log(postgres_settings)
    env = {
        **os.environ,
        "CASEBOOK_DATABASE_URL": postgres_settings.database_url,
        "CASEBOOK_POSTGRES_SCHEMA": postgres_settings.postgres_schema,
        "CASEBOOK_PROJECTION_BATCH_SIZE": "13",
        "CASEBOOK_LOG_LEVEL": "warning",
    }
    worker = [sys.executable, "-m", "services.cli", "project"]
    views = ProjectionDb(postgres_settings)
    rng = random.Random(4)
    try:
        positions = []
        for _ in range(KILLS):
            proc = subprocess.Popen(worker, env=env, stderr=subprocess.PIPE, text=True)
            assert proc.stderr is not None
            assert "following the log" in proc.stderr.readline()
            # Into the stream of batches: once it has applied one (on a busy machine its
            # first batch can take a while), at a random moment.
            reached = (views.active_generation("timeline") or (0, 0))[1]
            deadline = time.monotonic() + 60
            while (
                reached < head
                and time.monotonic() < deadline
                and (views.active_generation("timeline") or (0, 0))[1] == reached
            ):
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.1))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stderr.close()
            positions.append(views.active_generation("timeline"))
        assert any(p is not None and 0 < p[1] < head for p in positions), positions
        final = subprocess.Popen(worker, env=env, stderr=subprocess.PIPE, text=True)
        assert final.stderr is not None
        assert "following the log" in final.stderr.readline()  # its signal handlers are set
        wait_for_views(views, head)
        final.send_signal(signal.SIGTERM)
        assert final.wait(30) == 0
        final.stderr.close()
        app = open_application(postgres_settings)
        assert_views_equal_rebuild(app, views)
        app.close()
    finally:
        views.close()
