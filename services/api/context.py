"""Per-request dependencies: the services, and running a command with its headers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel

from domain.errors import InvalidValue
from infra.settings import Settings
from services.api.schemas import CommandAnswer
from services.application import CasebookApplication
from services.committer import (
    Command,
    CommandResult,
    GroupCommitter,
    IdempotencyClaim,
    answer_from_store,
)


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


@dataclass
class Services:
    """What the routes need, built once at the composition root."""

    settings: Settings
    app: CasebookApplication
    committer: GroupCommitter
    clock: Callable[[], datetime] = utc_now

    def close(self) -> None:
        """Finish queued commands and release the event store."""
        self.committer.close()
        self.app.close()


def get_services(request: Request) -> Services:
    """The Services of the running app."""
    services: Services = request.app.state.services
    return services


def _parse_if_match(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidValue(f"If-Match must be a version number, got {value!r}")
    return int(text)


Builder = Callable[[IdempotencyClaim | None, int | None], Command]


class CommandContext:
    """Runs one command with its Idempotency-Key and If-Match headers applied."""

    def __init__(
        self,
        request: Request,
        response: Response,
        services: Annotated[Services, Depends(get_services)],
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
        if_match: Annotated[str | None, Header()] = None,
    ) -> None:
        self.request = request
        self.response = response
        self.services = services
        self.key = idempotency_key
        self.expected_version = _parse_if_match(if_match)

    def now(self) -> datetime:
        """The service's clock."""
        return self.services.clock()

    def run(self, build: Builder, payload: BaseModel | None, status: int = 201) -> CommandAnswer:
        """Apply the command once (per Idempotency-Key) and answer with version and position."""
        result: CommandResult | None = None
        claim = None
        if self.key is not None:
            claim = IdempotencyClaim(self.key, self._request_hash(payload))
            stored = self.services.app.store.find_answer(self.key)
            if stored is not None:
                result = answer_from_store(claim, stored)
        if result is None:
            result = self.services.committer.submit(build(claim, self.expected_version))
        self.response.status_code = status
        self.response.headers["ETag"] = f'"{result.version}"'
        if result.replayed:
            self.response.headers["Idempotent-Replayed"] = "true"
        return CommandAnswer(
            version=result.version, position=result.position,
            cvr=result.body.get("cvr"), id=result.body.get("id"),
        )

    def _request_hash(self, payload: BaseModel | None) -> str:
        digest = hashlib.sha256()
        digest.update(f"{self.request.method} {self.request.url.path}\n".encode())
        if payload is not None:
            digest.update(payload.model_dump_json().encode())
        return digest.hexdigest()


Ctx = Annotated[CommandContext, Depends()]
