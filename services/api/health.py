"""Liveness and readiness."""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from services.api.context import Services, get_services

router = APIRouter(tags=["operations"])
log = structlog.get_logger(__name__)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(services: Annotated[Services, Depends(get_services)]) -> Any:
    """The event store answers; the body gives the log's newest position."""
    if not services.committer.alive:
        return JSONResponse({"status": "unavailable", "detail": "the command writer stopped"},
                            status_code=503)
    try:
        position = services.app.last_position()
    except Exception as e:  # readiness reports any failure of the store, it never raises
        log.warning("not_ready", reason=str(e))
        return JSONResponse({"status": "unavailable", "detail": "the event store does not "
                             "answer"}, status_code=503)
    return {
        "status": "ready",
        "backend": services.settings.backend,
        "log_position": position,
        "commit_batches": services.committer.batches,
        "commands": services.committer.commands,
    }
