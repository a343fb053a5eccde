"""The shared dependencies of the routes and pages, as `Annotated` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request, Response

from services.http.commands import IF_MATCH_PATTERN, CommandContext
from services.http.container import Services


def get_services(request: Request) -> Services:
    """The Services of the running app."""
    services: Services = request.app.state.services
    return services


async def command_context(
    request: Request,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    if_match: Annotated[
        str | None,
        Header(
            description="Apply only if the stream is at this version (`*`: if it exists).",
            json_schema_extra={"pattern": IF_MATCH_PATTERN},
        ),
    ] = None,
) -> CommandContext:
    """The command context of this request (async: no thread hop to build it)."""
    return CommandContext(request, response, get_services(request), idempotency_key, if_match)


Ctx = Annotated[CommandContext, Depends(command_context)]


async def _services(request: Request) -> Services:
    """The Services of the running app, as an async dependency: no threadpool hop."""
    return get_services(request)


Svc = Annotated[Services, Depends(_services)]
