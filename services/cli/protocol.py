"""The HTTP protocol `casebook serve` speaks: uvicorn's httptools protocol with the
bounds uvicorn does not put on a request's head (its request line and headers).

uvicorn keeps every header line it is sent until the head is complete, with no limit
on their size, and waits for them without end: its keep-alive timeout covers only the
idle time after a response, not a new connection nor a head sent a byte at a time
(slowloris). Here the head may hold CASEBOOK_MAX_HEADER_BYTES (else 431) and must be
complete within CASEBOOK_HEADER_TIMEOUT_SECONDS of the connection's opening or of its
request's first byte (else 408); a head the parser cannot read is 400. Each refusal
is problem+json, and the connection is closed. The body's bounds are the middleware's.
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _HeadRefused(Exception):
    """Raised in a parser callback: the head broke a bound (the reason is kept)."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a size and a time bound on each request's head."""

    max_head_bytes = 16 * 1024
    head_seconds = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._refusal: tuple[int, str] | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0
        if self._head_timer is None:
            self._start_head_timer()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)  # as the middleware counts them
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._stop_head_timer()
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a head it refuses, as problem+json with the reason."""
        status, detail = self._refusal or (400, "the request line or headers are malformed")
        self._stop_head_timer()
        body = json.dumps(
            {
                "type": "about:blank",
                "title": HTTPStatus(status).phrase,
                "status": status,
                "detail": detail,
            }
        ).encode()
        head = (
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
            "content-type: application/problem+json\r\n"
            f"content-length: {len(body)}\r\n"
            "connection: close\r\n\r\n"
        )
        self.transport.write(head.encode("ascii") + body)
        self.transport.close()

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > self.max_head_bytes:
            self._refusal = (
                431,
                f"the request line and headers exceed {self.max_head_bytes} bytes",
            )
            raise _HeadRefused

    def _start_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(self.head_seconds, self._head_too_slow)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        self._refusal = (408, f"the request line and headers took over {self.head_seconds:g} s")
        self.send_400_response("")


def guarded_protocol(*, max_head_bytes: int, head_seconds: float) -> type[HttpToolsProtocol]:
    """The protocol class for uvicorn's `http=`, with these bounds."""
    return type(
        "GuardedHttpToolsProtocol",
        (GuardedHttpToolsProtocol,),
        {"max_head_bytes": max_head_bytes, "head_seconds": head_seconds},
    )
