"""ASGI middleware: a request id, one canonical log line per request, a body limit."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("casebook.request")


class RequestMiddleware:
    """Tags each request with an id, logs it once, and refuses oversized bodies."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        structlog.contextvars.clear_contextvars()  # the access rule binds subject and role
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._refuse(scope, send, request_id)
            self._log(scope, request_id, 413, started)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    # Raised inside FastAPI's body reading, which re-raises HTTP errors.
                    raise HTTPException(
                        413, f"the request body exceeds {self.max_body_bytes} bytes"
                    )
            return message

        started_response = False

        async def tagged_send(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status = message["status"]
                started_response = True
                message.setdefault("headers", []).append(
                    (b"x-request-id", request_id.encode("latin-1"))
                )
            await send(message)

        try:
            await self.app(scope, limited_receive, tagged_send)
        except Exception:
            # An error no handler answered: reply here, so the answer carries the
            # request id, and log it with the traceback.
            log.exception("unexpected_error", request_id=request_id)
            status = 500
            if not started_response:
                await self._problem(
                    send,
                    request_id,
                    scope["path"],
                    500,
                    "Internal error",
                    "casebook failed unexpectedly; the request id identifies the log entry",
                )
        finally:
            self._log(scope, request_id, status, started)

    async def _refuse(self, scope: Scope, send: Send, request_id: str) -> None:
        await self._problem(
            send,
            request_id,
            scope["path"],
            413,
            "Request too large",
            f"the request body exceeds {self.max_body_bytes} bytes",
        )

    @staticmethod
    async def _problem(
        send: Send, request_id: str, path: str, status: int, title: str, detail: str
    ) -> None:
        body = json.dumps(
            {
                "type": "about:blank",
                "title": title,
                "status": status,
                "detail": detail,
                "instance": path,
                "request_id": request_id,
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-request-id", request_id.encode("latin-1")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _log(scope: Scope, request_id: str, status: int, started: float) -> None:
        # Paths carry CVRs and ids only; bodies and query strings are never logged.
        fields: dict[str, Any] = {
            "request_id": request_id,
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        }
        log.info("request_handled", **fields)
