"""create_app: the API routers and the web pages in one ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from infra.settings import Settings
from services.api import (
    candidates,
    companies,
    contracts,
    effects,
    events,
    health,
    openapi,
    overview,
    participants,
    queues,
    reads,
    staff,
    state,
)
from services.bootstrap import build_services
from services.http import problems
from services.http.access import assert_covered
from services.http.auth import TokenVerifier
from services.http.container import Services
from services.http.departures import Departures
from services.http.middleware import RequestMiddleware
from services.http.ratelimit import RateLimitMiddleware
from services.web import app as web


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """The FastAPI app; pass `services` to share an event store (tests, benchmarks)."""
    owned = services is None
    built = services or build_services(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pool = await built.reads.open_async()  # reads on this loop need no worker thread
        try:
            yield
        finally:
            await built.reads.close_async(pool)
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
    api.state.departures = Departures(settings.staff_cache_seconds)
    problems.install(api)
    api.add_middleware(  # inside RequestMiddleware: a 429 is logged with its request id
        RateLimitMiddleware,
        per_token=settings.rate_limit_per_minute,
        per_address=settings.rate_limit_unauthenticated_per_minute,
        verifier=api.state.verifier,
    )
    api.add_middleware(
        RequestMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_header_bytes=settings.max_header_bytes,
        body_seconds=settings.body_timeout_seconds,
    )
    for router in (
        companies.router,
        contracts.router,
        participants.router,
        effects.router,
        reads.router,
        overview.router,
        state.router,
        queues.router,
        staff.router,
        candidates.router,
        events.router,
        health.router,
    ):
        api.include_router(router)
    web.install(api)
    openapi.install(api)
    assert_covered(api)
    return api
