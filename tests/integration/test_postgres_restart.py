"""PostgreSQL restarted under a running `casebook serve`, `casebook project` and
`casebook relay` (a server of the test's own, made with initdb and stopped and started
with pg_ctl): while it is down a command answers a retryable 503 and /readyz says what
is wrong, both at once; when it is back every process goes on without a restart, with
nothing acknowledged lost and the stream equal to the log."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.eventstore import open_application
from tests.conftest import NatsFor, schema_settings
from tests.support.api import contact
from tests.support.postgres import ThrowawayPostgres
from tests.support.relay import log_ids, stream_ids, wait_until
from tests.support.running import Service, answered, running_service

CVR = "10000009"
RESTARTS = 2
AT_ONCE = 10  # seconds: a client's patience; the pools waited 30 s for a connection


@pytest.fixture
def own_postgres() -> Iterator[ThrowawayPostgres]:
    """A PostgreSQL server of this test's own (its directory one the postgres user can
    reach: pytest's tmp_path is private to root)."""
    server = ThrowawayPostgres(Path(tempfile.mkdtemp(prefix="casebook-restart-")))
    server.start()
    try:
        yield server
    finally:
        server.remove()


def _contacts(service: Service) -> int:
    r, _ = answered(service, "GET", f"/companies/{CVR}/timeline?limit=200")
    assert r.status_code == 200, r.text
    return sum(1 for e in r.json()["entries"] if e["kind"] == "contact_logged")


def test_postgres_restarted_under_every_process(
    own_postgres: ThrowawayPostgres, nats_for: NatsFor, tmp_path: Path
) -> None:
    path = f"/companies/{CVR}/contacts"
    with schema_settings(own_postgres.url) as base:
        settings = nats_for(base)
        with running_service(settings, tmp_path, ("serve", "project", "relay")) as service:
            staff = service.consultant_with_company(CVR)
            acknowledged = 0
            for _ in range(RESTARTS):
                for _ in range(5):
                    service.post(path, contact(staff))
                    acknowledged += 1
                own_postgres.stop()
                refused = service.send("POST", path, contact(staff), timeout=AT_ONCE)
                assert refused.status_code == 503, refused.text
                assert refused.headers["Retry-After"] == "1"
                assert refused.headers["content-type"] == "application/problem+json"
                ready = service.send("GET", "/readyz", timeout=AT_ONCE)
                assert ready.status_code == 503, ready.text
                assert ready.json()["detail"] == "the event store does not answer"
                own_postgres.start()
                r, statuses = answered(service, "POST", path, contact(staff))
                assert r.status_code == 201, (statuses, r.text)
                acknowledged += 1
            # Every process recovered by itself: the worker projects, the relay publishes.
            wait_until(lambda: _contacts(service) == acknowledged, what="every contact shown")
            wait_until(
                lambda: service.send("GET", "/readyz").status_code == 200, what="ready again"
            )
            app = open_application(settings)
            try:
                wait_until(
                    lambda: stream_ids(settings) == log_ids(app), what="the stream equal the log"
                )
            finally:
                app.close()
