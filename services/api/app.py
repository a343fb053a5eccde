"""The composition root of the HTTP service: create_app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from infra.persistence import postgres_is_migrated
from infra.settings import Settings
from infra.vault import key_encryption_key
from services.api import (
    candidates,
    companies,
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
from services.projector import ProjectionService, ViewWatcher
from services.views import ViewDb, create_views
from services.web import app as web


def build_services(settings: Settings, *, run_projections: bool | None = None) -> Services:
    """Open the stores, start the group committer and (embedded) the projection runners."""
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
    if run_projections is None:
        run_projections = settings.embedded
    projections = ProjectionService(app, views, settings) if run_projections else None
    committer = GroupCommitter(
        app, max_batch=settings.commit_batch_max, cache_size=settings.aggregate_cache_size,
        staff_ttl_seconds=settings.staff_cache_seconds,
        on_commit=projections.wake if projections is not None else None,
    )
    if projections is not None:
        projections.start()
    watcher = None
    if projections is None and settings.backend == "postgres":
        watcher = ViewWatcher(views, settings)
    return Services(settings=settings, app=app, committer=committer, views=views,
                    vault=open_vault(settings, app), verifier=TokenVerifier(settings),
                    projections=projections, watcher=watcher)


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """The FastAPI app; pass `services` to share an event store (tests, benchmarks)."""
    owned = services is None
    built = services or build_services(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
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
    for router in (companies.router, reads.router, overview.router, state.router,
                   queues.router, staff.router, candidates.router, health.router):
        api.include_router(router)
    web.install(api)
    assert_covered(api)
    return api
