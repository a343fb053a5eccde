"""Liveness and readiness."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CollectorRegistry, Gauge, generate_latest

from services.feed.leader import relay_members
from services.feed.positions import saved_positions
from services.http.access import Scope, allow
from services.http.auth import Role
from services.http.container import Services
from services.http.deps import get_services
from services.http.problems import RETRY_AFTER_SECONDS
from services.read.heartbeat import STALE_SECONDS, workers
from services.read.replica import read_database

router = APIRouter(tags=["operations"])
log = structlog.get_logger(__name__)


@router.get("/healthz", dependencies=[allow(scope=Scope.PUBLIC)])
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None, dependencies=[allow(scope=Scope.PUBLIC)])
def readyz(services: Annotated[Services, Depends(get_services)]) -> Any:
    """The event store answers; the body gives the log's newest position."""
    if not services.committer.alive:
        return _unready({"status": "unavailable", "detail": "the command writer stopped"})
    try:
        position = services.app.head_once()
        views = _views(services, position)
        workers = _workers(services)
        reads = None
        if services.read_views is not None:
            reads = read_database(services.views, services.read_views)
    except Exception as e:  # readiness reports any failure of the stores, it never raises
        log.warning("not_ready", reason=str(e))
        return _unready({"status": "unavailable", "detail": "the event store does not answer"})
    failing = [v["name"] for v in views if v["error"]]
    following = [w for w in workers if not w["stale"]]
    problems = [f"read model {name} fails" for name in failing]
    problems += [f"worker {w['worker']}: {p}" for w in following for p in w["problems"]]
    if not following:
        problems.append("no projection worker is following the log: run `casebook project`")
    relay = _relay(services, position)
    # Neither does a read database that fails: commands go on, and reads answer 503.
    troubled = (relay and relay["error"]) or (reads and reads["error"])
    body = {
        # A relay that cannot reach NATS does not make the API unready: commands go on
        # into the log (the outbox), and the relay catches up when NATS is back.
        "status": "degraded" if problems or troubled else "ready",
        "backend": services.settings.backend,
        "log_position": position,
        "commit_batches": services.committer.batches,
        "commands": services.committer.commands,
        "views": views,
        "workers": workers,
        "problems": problems,
        "relay": relay,
    }
    if reads is not None:
        body["read_database"] = reads
    return _unready(body) if problems else JSONResponse(body)


def _unready(body: dict[str, Any]) -> JSONResponse:
    """A 503 readiness report; it says when to ask again, as every 503 does."""
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _workers(services: Services) -> list[dict[str, Any]]:
    """Every projection worker's heartbeat (any process); stale ones are dead or hung."""
    now = time.time()
    found = []
    for w in workers(services.views):
        problems = w.problems(now)
        found.append(
            {
                **asdict(w),
                "age_seconds": round(now - w.heartbeat_at, 1),
                "stale": now - w.heartbeat_at > STALE_SECONDS,
                "problems": problems,
            }
        )
    return found


def _views(services: Services, head: int) -> list[dict[str, Any]]:
    """Each read model's position and lag, and the error of a runner that fails on it
    (in this process, or reported by a worker elsewhere)."""
    errors: dict[str, str | None] = {}
    for w in workers(services.views):
        if time.time() - w.heartbeat_at <= STALE_SECONDS:
            errors.update(w.errors)
    if services.projections is not None:
        errors.update({r.projection.name: r.error for r in services.projections.runners if r.error})
    return [
        {
            "name": name,
            "generation": gen,
            "position": pos,
            "lag": max(head - pos, 0),
            "error": errors.get(name),
        }
        for name, (gen, pos) in sorted(services.views.active_generations().items())
    ]


def _relay(services: Services, head: int) -> dict[str, Any] | None:
    """The relay's acknowledged position and lag (saved by whichever process relays),
    which relay publishes and which stand by (PostgreSQL: any process's), and, for a
    relay in this process, its role, whether it is connected and its last error."""
    stream = services.settings.nats_stream
    saved = saved_positions(services.views).get(stream)
    running = services.relay
    if saved is None and running is None and services.settings.nats_url is None:
        return None
    position = saved[0] if saved else None
    body: dict[str, Any] = {
        "stream": stream,
        "position": position,
        "lag": max(head - position, 0) if position is not None else None,
        "saved_at": saved[1] if saved else None,
        "error": None,
    }
    members = relay_members(services.views, stream)
    if members is not None:
        body |= {"active": members.active, "standby": members.standby}
    if running is not None:
        status = running.status()
        role = "active" if status.active else "standby"
        body |= {"connected": status.connected, "error": status.error}
        body |= {"role": role, "worker": status.worker}
    return body


@router.get("/metrics", response_class=PlainTextResponse, dependencies=[allow(Role.SERVICE)])
def metrics(services: Annotated[Services, Depends(get_services)]) -> str:
    """Prometheus metrics: log position, commands, and each read model's lag."""
    return generate_latest(build_registry(services)).decode()


class LiveMetrics:
    """A registry for prometheus_client's own listener (`CASEBOOK_METRICS_PORT`)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Any:
        """Fresh figures on every scrape."""
        return build_registry(self.services).collect()


def build_registry(services: Services) -> CollectorRegistry:
    """The metrics, read now."""
    registry = CollectorRegistry()
    head = services.app.last_position()
    Gauge("casebook_log_position", "Newest position in the event log", registry=registry).set(head)
    Gauge("casebook_commands", "Commands taken by this process's committer", registry=registry).set(
        services.committer.commands
    )
    Gauge(
        "casebook_commit_batches",
        "Transactions written by this process's committer",
        registry=registry,
    ).set(services.committer.batches)
    position = Gauge(
        "casebook_view_position",
        "Log position a read model has reached",
        ["view"],
        registry=registry,
    )
    lag = Gauge(
        "casebook_view_lag", "Events a read model is behind the log", ["view"], registry=registry
    )
    for view in _views(services, head):
        position.labels(view["name"]).set(view["position"])
        lag.labels(view["name"]).set(view["lag"])
    relay = _relay(services, head)
    if relay is not None and relay["position"] is not None:
        Gauge(
            "casebook_relay_position",
            "Log position the relay has published and had acknowledged",
            ["stream"],
            registry=registry,
        ).labels(relay["stream"]).set(relay["position"])
        Gauge(
            "casebook_relay_lag",
            "Events the relay is behind the log",
            ["stream"],
            registry=registry,
        ).labels(relay["stream"]).set(relay["lag"])
    if services.read_views is not None:
        _read_database_metrics(registry, read_database(services.views, services.read_views))
    if services.relay is not None:
        Gauge(
            "casebook_relay_connected",
            "1 when this process's relay is connected to NATS",
            registry=registry,
        ).set(int(services.relay.connected))
    return registry


def _read_database_metrics(registry: CollectorRegistry, reads: dict[str, Any]) -> None:
    """Whether the read replica answers, and how far behind the primary it is."""
    Gauge("casebook_read_database_up", "1 when the read database answers", registry=registry).set(
        int(reads["error"] is None)
    )
    if reads["error"] is not None:
        return
    lag = Gauge(
        "casebook_read_view_lag",
        "Events a read model on the read database is behind the primary's",
        ["view"],
        registry=registry,
    )
    for view in reads["views"]:
        lag.labels(view["name"]).set(view["lag"])
    if reads["wal_lag_bytes"] is not None:
        Gauge(
            "casebook_read_wal_lag_bytes",
            "Bytes of the primary's WAL the read database has not replayed yet",
            registry=registry,
        ).set(reads["wal_lag_bytes"])
