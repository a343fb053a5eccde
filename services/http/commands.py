"""Running one command for a request: its Idempotency-Key and If-Match headers applied."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from domain.errors import InvalidValue
from domain.values import normalise_cvr
from services.errors import ANY_VERSION
from services.http.auth import Principal
from services.http.container import Services
from services.write.command import Command, CommandResult, IdempotencyClaim, answer_from_store


class CommandAnswer(BaseModel):
    """What a command did: the stream's new version and the event's log position."""

    version: int = Field(description="The aggregate's version after the command.")
    position: int = Field(description="The global log position of the command's event.")
    cvr: str | None = Field(None, description="The company's normalised CVR.")
    id: str | None = Field(None, description="The id of what the command created.")


IF_MATCH_PATTERN = r'^[ \t]*(\*|(W/)?"?[0-9]{1,18}"?)[ \t]*$'
"""`*`, or a version as a (weak) entity tag or bare: what `If-Match` may say."""
_IF_MATCH = re.compile(IF_MATCH_PATTERN)


def _parse_if_match(value: str | None) -> int | None:
    if value is None:
        return None
    # The document's pattern, exactly: digits 0-9 only (str.isdigit() also takes '²',
    # which int() refuses).
    if _IF_MATCH.fullmatch(value) is None:
        raise InvalidValue(f"If-Match must be a version number, got {value!r}")
    text = value.strip(" \t")
    if text == "*":
        return ANY_VERSION
    return int(text.removeprefix("W/").strip('"'))


def _canonical(name: str, value: str) -> str:
    if name == "cvr":
        try:
            return normalise_cvr(value)
        except InvalidValue:
            return value
    return value


Builder = Callable[[IdempotencyClaim | None, int | None], Command]


class CommandContext:
    """Runs one command with its Idempotency-Key and If-Match headers applied."""

    def __init__(
        self,
        request: Request,
        response: Response,
        services: Services,
        idempotency_key: str | None,
        if_match: str | None,
    ) -> None:
        self.request = request
        self.response = response
        self.services = services
        self.key = idempotency_key
        self.expected_version = _parse_if_match(if_match)
        self.who: Principal | None = None  # set by the route's access rule

    def now(self) -> datetime:
        """The service's clock."""
        return self.services.clock()

    async def run(
        self, build: Builder, payload: BaseModel | None, status: int = 201
    ) -> CommandAnswer:
        """Apply the command once (per Idempotency-Key) and answer with version and position.

        Command routes are async: the request does no blocking I/O of its own (the
        group committer's thread does), so it awaits the result without holding a
        worker thread. Only the Idempotency-Key lookup reads the database, in the pool.
        """
        result: CommandResult | None = None
        claim = None
        if self.key is not None:
            claim = IdempotencyClaim(self.key, self._request_hash(payload))
            stored = await run_in_threadpool(self.services.app.store.find_answers, [self.key])
            if stored:
                result = answer_from_store(claim, stored[self.key])
        if result is None:
            command = build(claim, self.expected_version)
            result = await self.services.committer.submit_async(command)
        self.response.status_code = status
        self.response.headers["ETag"] = f'"{result.version}"'
        if result.replayed:
            self.response.headers["Idempotent-Replayed"] = "true"
        return CommandAnswer(
            version=result.version,
            position=result.position,
            cvr=result.body.get("cvr"),
            id=result.body.get("id"),
        )

    def _request_hash(self, payload: BaseModel | None) -> str:
        # The route and its parameters, not the raw path: "DK 1374 8136" and
        # "13748136" name the same company.
        route = getattr(self.request.scope.get("route"), "path_format", self.request.url.path)
        params = {k: _canonical(k, v) for k, v in sorted(self.request.path_params.items())}
        digest = hashlib.sha256()
        # Another caller's request under the same key is a different request.
        subject = self.who.subject if self.who is not None else ""
        digest.update(f"{self.request.method} {route} {params} {subject}\n".encode())
        if payload is not None:
            digest.update(payload.model_dump_json().encode())
        return digest.hexdigest()
