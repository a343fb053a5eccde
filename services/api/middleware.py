"""ASGI middleware: a request id, one canonical log line per request, a body limit."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("casebook.request")


class _TooLarge(Exception):
    pass


class RequestMiddleware:
    """Tags each request with an id, logs it once, and refuses oversized bodies."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
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
                    raise _TooLarge
            return message

        async def tagged_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append(
                    (b"x-request-id", request_id.encode("latin-1"))
                )
            await send(message)

        try:
            await self.app(scope, limited_receive, tagged_send)
        except _TooLarge:
            status = 413
            await self._refuse(scope, send, request_id)
        finally:
            self._log(scope, request_id, status, started)

    async def _refuse(self, scope: Scope, send: Send, request_id: str) -> None:
        body = json.dumps({
            "type": "about:blank", "title": "Request too large", "status": 413,
            "detail": f"the request body exceeds {self.max_body_bytes} bytes",
            "instance": scope["path"], "request_id": request_id,
        }).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            (b"x-request-id", request_id.encode("latin-1")),
        ]})
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _log(scope: Scope, request_id: str, status: int, started: float) -> None:
        # Paths carry CVRs and ids only; bodies and query strings are never logged.
        fields: dict[str, Any] = {
            "request_id": request_id, "method": scope["method"], "path": scope["path"],
            "status": status, "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        }
        log.info("request_handled", **fields)
