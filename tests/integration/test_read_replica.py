"""Reads from a PostgreSQL streaming replica (`CASEBOOK_READ_DATABASE_URL`): a primary of
the test's own (initdb, pg_ctl) and a hot standby of it (`pg_basebackup -R`), both on
loopback ports of their own; `casebook serve` and `casebook project` on the primary with
the reads pointed at the standby. A read with `min_position` waits until the standby has
replayed that far; the read routes' queries go to the standby and nowhere else, while
the writes, the event store and the worker stay on the primary."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import schema_settings
from tests.support.api import assert_problem, contact
from tests.support.postgres import StreamingReplica, ThrowawayPostgres
from tests.support.relay import wait_until
from tests.support.running import Service, answered, running_service

CVR = "10000009"


@pytest.fixture(scope="module")
def primary() -> Iterator[ThrowawayPostgres]:
    """A primary of this module's own that a replica can stream from."""
    server = ThrowawayPostgres(Path(tempfile.mkdtemp(prefix="casebook-primary-")), replication=True)
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="module")
def replica(primary: ThrowawayPostgres) -> Iterator[StreamingReplica]:
    """A hot standby of the primary, replaying its WAL as it streams in."""
    server = StreamingReplica(primary, Path(tempfile.mkdtemp(prefix="casebook-replica-")))
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def service(
    primary: ThrowawayPostgres, replica: StreamingReplica, tmp_path: Path
) -> Iterator[Service]:
    """`casebook serve` and `casebook project` on a schema of the primary, reads on the
    replica; a consultant and a company of theirs registered."""
    with schema_settings(primary.url) as base:
        settings = base.model_copy(update={"read_database_url": replica.url})
        with running_service(settings, tmp_path) as running:
            yield running


def _position(url: str, schema: str, name: str) -> int:
    """The log position read model `name` has reached, as the server at `url` has it."""
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute(
            f'SELECT position FROM "{schema}".casebook_projections WHERE name = %s AND active = 1',
            (name,),
        ).fetchone()
    return int(row[0]) if row else -1


def _connected(url: str, application_name: str) -> int:
    """How many connections the service's processes hold on the server at `url`."""
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            (application_name,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def _logged(service: Service, staff: str) -> int:
    r = service.post(f"/companies/{CVR}/contacts", contact(staff))
    position: int = r["position"]
    return position


def test_a_write_is_read_back_from_the_replica_at_its_position(
    service: Service, replica: StreamingReplica
) -> None:
    """A command's answer's position, read with min_position, gives the write, read on
    the replica: the service holds connections there, and /readyz reports it."""
    staff = service.consultant_with_company(CVR)
    position = _logged(service, staff)
    r = service.send("GET", f"/companies/{CVR}/timeline?limit=1&min_position={position}")
    assert r.status_code == 200, r.text
    assert r.json()["entries"][0]["position"] == position
    assert _connected(replica.url, service.application_name) > 0
    ready = service.send("GET", "/readyz")
    assert ready.status_code == 200, ready.text
    reads = ready.json()["read_database"]
    assert reads["error"] is None and reads["status"] in ("ok", "lag"), reads
    assert reads["standby"] is True and reads["replay_paused"] is False, reads
    timeline = next(v for v in reads["views"] if v["name"] == "timeline")
    assert timeline["position"] >= position, reads
    metrics = service.send("GET", "/metrics")
    assert metrics.status_code == 200, metrics.text
    assert "casebook_read_database_up 1.0" in metrics.text
    assert 'casebook_read_view_lag{view="timeline"}' in metrics.text


def test_a_read_waits_for_the_replica_and_not_the_primary(
    service: Service, replica: StreamingReplica
) -> None:
    """With the replica's replay paused, a write goes on and the primary's read model
    reaches it, but a read at its position answers 503 once its wait is over; resumed,
    the same read answers 200 with the write."""
    staff = service.consultant_with_company(CVR)
    replica.pause_replay()
    try:
        position = _logged(service, staff)
        schema = service.settings.postgres_schema
        primary_url = service.settings.database_url
        wait_until(
            lambda: _position(primary_url, schema, "timeline") >= position,
            what="the primary's timeline at the write",
        )
        path = f"/companies/{CVR}/timeline?limit=1&min_position={position}"
        behind = service.send("GET", path)
        assert_problem(behind, 503, f"has not reached position {position}")
        assert behind.headers["Retry-After"] == "1"
        assert _position(replica.url, schema, "timeline") < position
        ready = service.send("GET", "/readyz").json()["read_database"]
        assert ready["replay_paused"] is True and ready["status"] == "lag", ready
        assert ready["lag"] > 0, ready
        assert ready["wal_lag_bytes"] > 0, ready
    finally:
        replica.resume_replay()
    r, statuses = answered(service, "GET", path)
    assert r.status_code == 200, (statuses, r.text)
    assert r.json()["entries"][0]["position"] == position


def test_reads_fail_while_the_replica_is_down_and_writes_go_on(
    service: Service, replica: StreamingReplica
) -> None:
    """With the replica stopped, commands still answer 201 and /readyz still 200 (the
    read database reported in error), reads answer a retryable 503; started again, a
    read at the last write's position gives it."""
    staff = service.consultant_with_company(CVR)
    position = _logged(service, staff)
    replica.stop()
    try:
        during = _logged(service, staff)
        assert during > position
        refused = service.send("GET", f"/companies/{CVR}/timeline?limit=1", timeout=20)
        assert_problem(refused, 503, "")
        assert refused.headers["Retry-After"] == "1"
        ready = service.send("GET", "/readyz", timeout=20)
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "degraded"
        assert ready.json()["read_database"] == {
            "status": "error",
            "error": "the read database does not answer",
        }
    finally:
        replica.start()
    path = f"/companies/{CVR}/timeline?limit=1&min_position={during}"
    r, statuses = answered(service, "GET", path)
    assert r.status_code == 200, (statuses, r.text)
    assert r.json()["entries"][0]["position"] == during
