"""Projection workers' status in /readyz, whichever process they run in."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from services.http.container import Services
from services.read.db import RUNNERS
from services.read.heartbeat import STALE_SECONDS, WorkerStatus, beat

pytestmark = pytest.mark.stores  # rerun on SQLite and PostgreSQL by `make integration`


def _elsewhere(services: Services, **fields: object) -> WorkerStatus:
    """A worker in another process, as its heartbeat row says."""
    worker = WorkerStatus(
        "other-host:4242:abcdef", started_at=time.time(), loop_at=time.time(), listening=True
    )
    for name, value in fields.items():
        setattr(worker, name, value)
    beat(services.views, worker)
    return worker


def test_readyz_shows_this_processs_worker(client: TestClient, services: Services) -> None:
    """The in-process worker's heartbeat is there, fresh, with no problems."""
    assert services.projections is not None
    deadline = time.monotonic() + 10  # on PostgreSQL, until its LISTEN connection is up
    while (body := client.get("/readyz").json())["status"] != "ready":
        assert time.monotonic() < deadline, body
        time.sleep(0.1)
    [worker] = body["workers"]
    listens = True if services.settings.backend == "postgres" else None
    assert (worker["worker"], worker["stale"], worker["problems"], worker["listening"]) == (
        services.projections.worker.worker,
        False,
        [],
        listens,
    )


def test_a_failing_worker_elsewhere_degrades_readiness(
    client: TestClient, services: Services
) -> None:
    """Errors and a dropped LISTEN reported by another process's worker are a 503, which
    says when to ask again (Retry-After), as every 503 does."""
    reported = 4.0  # what that worker's heartbeat says it waits (echoed, not timed)
    _elsewhere(
        services, errors={"overview": "OperationalError"}, listening=False, backoff_seconds=reported
    )
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "1"
    body = r.json()
    assert body["status"] == "degraded"
    assert {v["name"]: v["error"] for v in body["views"]}["overview"] == "OperationalError"
    assert "worker other-host:4242:abcdef: the LISTEN connection is down" in body["problems"]
    assert "worker other-host:4242:abcdef: overview: OperationalError" in body["problems"]
    other = next(w for w in body["workers"] if w["worker"] == "other-host:4242:abcdef")
    assert other["backoff_seconds"] == reported


def test_a_silent_worker_is_shown_stale(client: TestClient, services: Services) -> None:
    """A heartbeat older than the staleness bound marks the worker stale (dead or hung)."""
    worker = _elsewhere(services, errors={"timeline": "OperationalError"})
    old = time.time() - STALE_SECONDS - 5
    worker.heartbeat_at = old
    with services.views.transaction() as sql:
        sql.execute(
            f"UPDATE {RUNNERS} SET heartbeat_at = %s, status = %s WHERE worker = %s",
            (old, json.dumps(worker.__dict__), worker.worker),
        )
    body = client.get("/readyz").json()
    other = next(w for w in body["workers"] if w["worker"] == worker.worker)
    assert other["stale"] is True
    assert other["problems"][0].startswith("no heartbeat for")
    # This process's own worker still follows the log, so readiness holds; the dead
    # worker's old error is not taken for the read model's.
    assert body["status"] == "ready"
    assert {v["name"]: v["error"] for v in body["views"]}["timeline"] is None


def test_without_any_following_worker_readiness_says_so(
    client: TestClient, services: Services
) -> None:
    """No fresh heartbeat at all: 503 naming the missing `casebook project`."""
    assert services.projections is not None
    services.projections.stop()
    r = client.get("/readyz")
    assert r.status_code == 503
    assert (
        "no projection worker is following the log: run `casebook project`" in r.json()["problems"]
    )


def test_a_not_ready_answer_says_when_to_ask_again(client: TestClient, services: Services) -> None:
    """/readyz's 503, like every 503, carries Retry-After (it had none)."""
    assert services.projections is not None
    services.projections.stop()
    r = client.get("/readyz")
    assert (r.status_code, r.headers.get("retry-after")) == (503, "1"), r.text
