"""Per-client rate limits: a token bucket for each token's subject, and one for each
address that sends no valid token.

A client over its limit gets 429 with `Retry-After` (the seconds until its next request
is allowed) as problem+json, or as a page for a browser. A bucket holds a minute's
requests, so a client may send them in a burst, and refills evenly. `/healthz` and
`/readyz` are never limited (an orchestrator's probes must not be refused), and a
limit of 0 turns that limit off. The buckets live in the API process: behind several
processes a client's limit is per process (docs/security.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from infra.cache import BoundedCache
from services.http.auth import TokenError, TokenVerifier
from services.http.problems import problem
from services.http.session import SESSION_COOKIE

EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})
CLIENTS_HELD = 100_000  # buckets kept, least recently used dropped first


@dataclass
class Bucket:
    """Requests left (fractional: it refills continuously) as of `at` (monotonic s)."""

    left: float
    at: float


class RateLimiter:
    """Token buckets of `per_minute` requests, refilled at per_minute / 60 a second."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._buckets: BoundedCache[str, Bucket] = BoundedCache(CLIENTS_HELD)

    def wait_for(self, client: str) -> float:
        """Take one request from the client's bucket: 0 if it was there, else the
        seconds until one will be (and nothing is taken)."""
        if self.per_minute == 0:
            return 0.0
        now = self._clock()
        rate = self.per_minute / 60
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = Bucket(float(self.per_minute), now)
            self._buckets.put(client, bucket)
        bucket.left = min(float(self.per_minute), bucket.left + (now - bucket.at) * rate)
        bucket.at = now
        if bucket.left >= 1:
            bucket.left -= 1
            return 0.0
        return (1 - bucket.left) / rate


class RateLimitMiddleware:
    """Refuses a client's requests over its limit with 429 before they are handled."""

    def __init__(
        self, app: ASGIApp, *, per_token: int, per_address: int, verifier: TokenVerifier
    ) -> None:
        self.app = app
        self.tokens = RateLimiter(per_token)
        self.addresses = RateLimiter(per_address)
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        subject = self._subject(request)
        if subject is not None:
            limiter, client, whose = self.tokens, f"sub:{subject}", "this token's holder"
        else:
            address = scope["client"][0] if scope.get("client") else "unknown"
            limiter, client, whose = self.addresses, f"addr:{address}", "this address"
        wait = limiter.wait_for(client)
        if wait == 0:
            await self.app(scope, receive, send)
            return
        seconds = max(1, math.ceil(wait))
        response = problem(
            request,
            429,
            "Too many requests",
            f"{whose} sent more than {limiter.per_minute} requests a minute; retry in {seconds} s",
        )
        response.headers["Retry-After"] = str(seconds)
        await response(scope, receive, send)

    def _subject(self, request: Request) -> str | None:
        """The subject of a valid token sent (header or session cookie), if any: an
        invalid token counts against its address (it will be refused with 401)."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            token = request.cookies.get(SESSION_COOKIE, "")
        if not token.strip():
            return None
        if self.verifier.needs_network(token.strip()):
            return None  # not on the event loop: the route's own check verifies it
        try:
            return self.verifier.verify(token.strip()).subject
        except TokenError:
            return None
