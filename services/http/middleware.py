"""ASGI middleware: a request id, the security headers, one canonical log line per
request, limits on the headers, the URL and the body (`limits`), and no NUL
character in the URL."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.http.headers import security_headers
from services.http.limits import LimitedBody, parsed_as_json, url_refusal

log = structlog.get_logger("casebook.request")


class RequestMiddleware:
    """Tags each request with an id, logs it once, and refuses oversized headers and
    bodies and a URL with a NUL character (no store can hold one, nor search for it)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_header_bytes: int,
        body_seconds: float = 30.0,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes
        self.body_seconds = body_seconds

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
        secured = security_headers(scope)
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await self._problem(send, request_id, secured, scope["path"], *refusal)
            self._log(scope, request_id, refusal[0], started)
            return
        limited_receive = LimitedBody(
            receive,
            max_bytes=self.max_body_bytes,
            seconds=self.body_seconds,
            as_json=scope["method"] not in ("GET", "HEAD")
            and parsed_as_json(headers.get(b"content-type")),
        )

        started_response = False

        async def tagged_send(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                status = message["status"]
                started_response = True
                message.setdefault("headers", []).extend(
                    [(b"x-request-id", request_id.encode("latin-1")), *secured]
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
                    secured,
                    scope["path"],
                    500,
                    "Internal error",
                    "casebook failed unexpectedly; the request id identifies the log entry",
                )
        finally:
            self._log(scope, request_id, status, started)

    def _refusal(self, scope: Scope, headers: dict[bytes, bytes]) -> tuple[int, str, str] | None:
        """Why the request is refused before it is read on, if it is: its headers are too
        large (431), its declared body is (413), or its URL holds a NUL (400)."""
        size = sum(len(k) + len(v) + 4 for k, v in scope.get("headers") or [])
        if size > self.max_header_bytes:
            return (
                431,
                "Request headers too large",
                f"the request headers exceed {self.max_header_bytes} bytes",
            )
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            return 413, "Request too large", f"the request body exceeds {self.max_body_bytes} bytes"
        query = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            return (
                400,
                "Bad request",
                "the URL holds a NUL character, which casebook can neither store nor search for",
            )
        bad_url = url_refusal(scope.get("raw_path") or scope["path"].encode(), query)
        if bad_url is not None:
            return 400, "Bad request", bad_url
        return None

    @staticmethod
    async def _problem(
        send: Send,
        request_id: str,
        secured: list[tuple[bytes, bytes]],
        path: str,
        status: int,
        title: str,
        detail: str,
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
                    *secured,
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
