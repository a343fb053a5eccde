"""The composition root of the HTTP service: create_app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI

from infra.persistence import postgres_is_migrated
from infra.settings import Settings
from infra.vault import key_encryption_key
from services.api import (
    candidates,
    companies,
    contracts,
    events,
    health,
    overview,
    problems,
    queues,
    reads,
    staff,
    state,
)
from services.api.access import assert_covered
from services.api.context import Services
from services.api.middleware import RequestMiddleware
from services.application import migrate, open_application
from services.auth import TokenVerifier, check_production_keys
from services.candidates import open_vault
from services.committer import GroupCommitter
from services.progress import ViewWatcher
from services.projector import ProjectionService
from services.relay import Relay, create_relay_table
from services.snapshots import StateSnapshots
from services.views import ViewDb, create_views
from services.web import app as web


def build_services(settings: Settings, *, run_projections: bool | None = None,
                   run_relay: bool | None = None) -> Services:
    """Open the stores, start the group committer and (embedded) the projection runners
    and, when CASEBOOK_NATS_URL is set, the relay to NATS."""
    check_production_keys(settings)
    key_encryption_key(settings)  # refuses a missing or development key in production
    if settings.embedded:
        migrate(settings)  # the embedded mode migrates on start
    elif not postgres_is_migrated(settings):
        raise RuntimeError(
            f"no casebook tables in schema {settings.postgres_schema!r}: "
            "run `casebook migrate` first"
        )
    app = open_application(settings)
    views = ViewDb(settings)
    if settings.backend == "memory":
        create_views(views)
        create_relay_table(views)
    if run_projections is None:
        run_projections = settings.embedded
    if run_relay is None:
        run_relay = settings.embedded and settings.nats_url is not None
    projections = ProjectionService(app, views, settings) if run_projections else None
    relay = Relay(app, views, settings) if run_relay else None
    woken = [s.wake for s in (projections, relay) if s is not None]
    committer = GroupCommitter(
        app, max_batch=settings.commit_batch_max, cache_size=settings.aggregate_cache_size,
        staff_ttl_seconds=settings.staff_cache_seconds,
        on_commit=_fan_out(woken) if woken else None,
    )
    if projections is not None:
        projections.start()
    if relay is not None:
        relay.start()
    watcher = None
    if projections is None and settings.backend == "postgres":
        watcher = ViewWatcher(views, settings)
    snapshots = StateSnapshots(app, views, settings.state_snapshot_every)
    return Services(settings=settings, app=app, committer=committer, views=views,
                    vault=open_vault(settings, app), verifier=TokenVerifier(settings),
                    snapshots=snapshots,
                    projections=projections, watcher=watcher, relay=relay)


def _fan_out(callbacks: Sequence[Callable[[int], None]]) -> Callable[[int], None]:
    def call(position: int) -> None:
        for callback in callbacks:
            callback(position)

    return call


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """The FastAPI app; pass `services` to share an event store (tests, benchmarks)."""
    owned = services is None
    built = services or build_services(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pool = await built.views.open_async()  # reads on this loop need no worker thread
        try:
            yield
        finally:
            await built.views.close_async(pool)
        if owned:
            built.close()

    api = FastAPI(
        title="casebook",
        summary="One contact person's view of every company: the event-sourced case history.",
        version="0.1.0",
        lifespan=lifespan,
    )
    api.state.services = built
    api.state.verifier = built.verifier or TokenVerifier(settings)
    problems.install(api)
    api.add_middleware(RequestMiddleware, max_body_bytes=settings.max_body_bytes)
    for router in (companies.router, contracts.router, reads.router, overview.router,
                   state.router, queues.router, staff.router, candidates.router,
                   events.router, health.router):
        api.include_router(router)
    web.install(api)
    assert_covered(api)
    return api
