"""The one error table: every refusal becomes application/problem+json."""

from __future__ import annotations

import re
from typing import Any

import psycopg
import structlog
from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from domain.errors import DomainError, InvalidValue, NotFound, RuleBroken
from infra.storage import StorageFault, storage_fault
from services.errors import (
    CommandTimeoutError,
    ConcurrencyExhaustedError,
    ForbiddenError,
    IdempotencyKeyReusedError,
    PositionNotInLogError,
    ProjectionBehindError,
    ServiceError,
    ShuttingDownError,
    UnauthenticatedError,
    VersionMismatchError,
)

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger(__name__)

# Most specific first; the first class an error is an instance of decides.
ERROR_TABLE: list[tuple[type[Exception], int, str]] = [
    (UnauthenticatedError, 401, "Unauthenticated"),
    (ForbiddenError, 403, "Forbidden"),
    (NotFound, 404, "Not found"),
    (InvalidValue, 422, "Invalid value"),
    (RuleBroken, 409, "Conflicts with the recorded history"),
    (VersionMismatchError, 412, "Precondition failed"),
    (IdempotencyKeyReusedError, 422, "Idempotency-Key reused"),
    (ConcurrencyExhaustedError, 409, "Concurrent change"),
    (CommandTimeoutError, 503, "Event store busy"),
    (ShuttingDownError, 503, "Shutting down"),
    (ProjectionBehindError, 503, "Read model behind"),
    (PositionNotInLogError, 409, "Position not in the log"),
    (OperationalError, 503, "Event store unavailable"),
    (InterfaceError, 503, "Event store unavailable"),
    # The read models' database, read with psycopg itself (a lost connection; a pool's
    # PoolTimeout, no connection free in time, is one too).
    (psycopg.OperationalError, 503, "Database unavailable"),
]


def problem(request: Request, status: int, title: str, detail: str, **extra: Any) -> Response:
    """A problem+json response (RFC 9457); a browser's page request gets the same
    problem as a page (`app.state.error_page`, installed by the web app)."""
    error_page = getattr(request.app.state, "error_page", None)
    shown: Response | None = None
    if error_page is not None:
        shown = error_page(request, status, title, detail, extra)
    response = shown or _problem_json(request, status, title, detail, extra)
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _problem_json(
    request: Request, status: int, title: str, detail: str, extra: dict[str, Any]
) -> Response:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    request_id = request.scope.get("state", {}).get("request_id")
    if request_id:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def status_for(error: Exception) -> tuple[int, str]:
    """The status and title the table gives this error."""
    for kind, status, title in ERROR_TABLE:
        if isinstance(error, kind):
            return status, title
    return 500, "Internal error"


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc if part != "body") or "body"


def _entry(error: dict[str, Any], content_type: str) -> dict[str, str]:
    if error["type"] == "json_invalid":
        return {
            "field": "body",
            "message": f"the body is not valid JSON (at character {error['loc'][-1]})",
        }
    if error["loc"] == ("body",) and "json" not in content_type:
        return {
            "field": "body",
            "message": "send the body as JSON with Content-Type: application/json",
        }
    return {"field": _field(tuple(error["loc"])), "message": error["msg"]}


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    content_type = request.headers.get("content-type", "")
    errors = [_entry(e, content_type) for e in exc.errors()][:20]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return problem(request, 422, "Invalid request", detail, errors=errors)


STORE_DOWN = (
    "the event store is unavailable; the command was not applied, retry shortly "
    "(with the same Idempotency-Key)"
)
READ_DOWN = "the database is unavailable; the read changed nothing, retry shortly"
STORAGE_FAULTS: dict[StorageFault, tuple[str, str]] = {
    "full": (
        "Disk full",
        "the database's disk is full: nothing was written; retry once space is freed "
        "(a command with the same Idempotency-Key)",
    ),
    "read_only": (
        "Database read-only",
        "the database's file system or directory is read-only: nothing was written; "
        "retry once it is writable (a command with the same Idempotency-Key)",
    ),
}
# What a 503 asks a client to wait before it tries again (every 503 is retryable).
RETRY_AFTER_SECONDS = 1


async def _known(request: Request, exc: Exception) -> Response:
    status, title = status_for(exc)
    fault = storage_fault(exc)
    # Database errors name hosts and users: they go to the log, never to the client.
    if isinstance(exc, DomainError | ServiceError):
        detail = exc.detail
    elif fault is not None:  # an operator's to fix: say which trouble, not just "down"
        title, detail = STORAGE_FAULTS[fault]
    elif request.method in ("GET", "HEAD"):  # a read: the event store's or the projections'
        detail = READ_DOWN
    else:
        detail = STORE_DOWN
    if status >= 500:
        log.warning("request_refused", status=status, error=type(exc).__name__, reason=str(exc))
    response = problem(request, status, title, detail)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="casebook"'
    return response


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    title = {404: "Not found", 405: "Method not allowed", 413: "Request too large"}
    response = problem(
        request, exc.status_code, title.get(exc.status_code, "Error"), str(exc.detail)
    )
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    if exc.status_code == 405:  # every method of the path (RFC 9110), not one route's
        response.headers["Allow"] = ", ".join(_methods_of(request))
    return response


def _methods_of(request: Request) -> list[str]:
    """The methods of every route whose path, with its converters, matches the request's
    (the routers' routes of one path each answer only for their own methods)."""
    paths: list[tuple[re.Pattern[str], set[str]]] | None = getattr(
        request.app.state, "route_methods", None
    )
    if paths is None:
        paths = [
            (compile_path(c.path or c.path_format)[0], set(c.methods or ()))
            for c in iter_route_contexts(request.app.routes)
            if c.path_format is not None
        ]
        request.app.state.route_methods = paths
    path = request.url.path
    return sorted({m for regex, methods in paths if regex.match(path) for m in methods})


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected_error", error=type(exc).__name__)
    return problem(
        request,
        500,
        "Internal error",
        "casebook failed unexpectedly; the request id identifies the log entry",
    )


def install(app: FastAPI) -> None:
    """Register the handlers: validation, the table's errors, HTTP errors, the rest."""
    app.add_exception_handler(RequestValidationError, _validation)
    for kind in (
        DomainError,
        ServiceError,
        OperationalError,
        InterfaceError,
        psycopg.OperationalError,
    ):
        app.add_exception_handler(kind, _known)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
