"""Every route's access rule: who may call it, and whose municipality it touches.

A route declares its rule as a dependency, `Depends(allow(...))`, which verifies the
bearer token and returns the `Principal`. The rule object is attached to the
dependency, so the app checks at start-up that every route has one (`assert_covered`)
and the authorisation test is generated from the same route table.

Data of a municipality the token does not name answers exactly as if it did not exist
(404 with the same detail), so a probe learns nothing about other municipalities.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from infra.municipalities import municipalities
from services.errors import ForbiddenError, UnauthenticatedError
from services.http.auth import Principal, Role, TokenError, TokenVerifier
from services.http.departures import Departures
from services.http.deps import get_services
from services.http.session import SESSION_COOKIE, check_csrf
from services.http.visibility import (
    candidate_visible,
    company_visible,
    contract_visible,
    invoice_visible,
    staff_visible,
)

_bearer = HTTPBearer(auto_error=False, description="A casebook JWT: `casebook token --help`")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
"""Declares the bearer scheme in OpenAPI (the Authorize button of /docs); the token
itself is read and verified by `_authorised`."""

READERS = (Role.CONSULTANT, Role.TEAM_LEAD, Role.AUDITOR)
STAFF = (Role.CONSULTANT, Role.TEAM_LEAD)


class Scope(StrEnum):
    """Which municipality a route's data belongs to, and so how it is checked."""

    PUBLIC = "public"  # no token at all (health)
    TOKEN = "token"  # the route filters by the token's municipalities itself
    COMPANY = "company"  # the company named by the {cvr} path parameter
    STAFF = "staff"  # the staff member named by {staff_id}
    CANDIDATE = "candidate"  # the candidate named by {candidate_id}
    CONTRACT = "contract"  # the outcome contract named by {contract_id}
    INVOICE = "invoice"  # the invoice named by {invoice_id} (its contract's municipality)


@dataclass(frozen=True)
class Rule:
    """Who may call a route, and how its municipality is checked."""

    roles: frozenset[Role]
    scope: Scope


RULE_ATTRIBUTE = "casebook_rule"


def allow(*roles: Role, scope: Scope = Scope.TOKEN) -> Any:
    """The dependency that enforces this rule and yields the caller's Principal."""
    rule = Rule(frozenset(roles), scope)
    check: Callable[..., Coroutine[Any, Any, Principal | None]]
    if scope is Scope.PUBLIC:

        async def check(request: Request) -> Principal | None:
            return None
    elif scope is Scope.COMPANY:

        async def check(request: Request, _: Bearer, cvr: str) -> Principal | None:
            who = await _guarded(request, rule)
            await company_visible(get_services(request), who, cvr)
            return who
    elif scope is Scope.STAFF:

        async def check(request: Request, _: Bearer, staff_id: UUID) -> Principal | None:
            who = await _guarded(request, rule)
            await staff_visible(get_services(request), who, staff_id)
            return who
    elif scope is Scope.CANDIDATE:

        async def check(request: Request, _: Bearer, candidate_id: UUID) -> Principal | None:
            who = await _guarded(request, rule)
            await candidate_visible(get_services(request), who, candidate_id)
            return who
    elif scope is Scope.CONTRACT:

        async def check(request: Request, _: Bearer, contract_id: UUID) -> Principal | None:
            who = await _guarded(request, rule)
            await contract_visible(get_services(request), who, contract_id)
            return who
    elif scope is Scope.INVOICE:

        async def check(request: Request, _: Bearer, invoice_id: UUID) -> Principal | None:
            who = await _guarded(request, rule)
            await invoice_visible(get_services(request), who, invoice_id)
            return who
    else:

        async def check(request: Request, _: Bearer) -> Principal | None:
            return await _guarded(request, rule)

    setattr(check, RULE_ATTRIBUTE, rule)
    return Depends(check)


async def _guarded(request: Request, rule: Rule) -> Principal:
    """The token's principal, allowed by the rule; a cookie session's unsafe request
    must also come from our own pages (same origin, the session's CSRF token).
    A token of the identity provider whose keys are not at hand is verified on a
    worker thread: fetching them must not hold up the event loop."""
    verifier: TokenVerifier = request.app.state.verifier
    sent = request.headers.get("authorization", "").partition(" ")[2].strip()
    if verifier.oidc is not None and sent and verifier.needs_network(sent):
        who = await run_in_threadpool(_authorised, request, rule)
        structlog.contextvars.bind_contextvars(subject=who.subject, role=str(who.role))
    else:
        who = _authorised(request, rule)
    departures: Departures = request.app.state.departures
    await departures.refuse_if_left(get_services(request), who)
    if request.state.via_cookie and request.method not in SAFE_METHODS:
        await check_csrf(request)
    return who


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _authorised(request: Request, rule: Rule) -> Principal:
    header = request.headers.get("authorization")
    cookie = request.cookies.get(SESSION_COOKIE)
    request.state.via_cookie = False
    if not header and cookie:
        token = cookie
        request.state.via_cookie = True
    elif not header:
        raise UnauthenticatedError(
            "this route needs a bearer token: send `Authorization: Bearer <token>` "
            "(`casebook token --help` prints one for the embedded mode), or sign in"
        )
    else:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise UnauthenticatedError("the Authorization header must be `Bearer <token>`")
    verifier: TokenVerifier = request.app.state.verifier
    try:
        who = verifier.verify(token.strip())
    except TokenError as error:
        raise UnauthenticatedError(str(error)) from error
    request.state.principal = who
    structlog.contextvars.bind_contextvars(subject=who.subject, role=str(who.role))
    if who.role not in rule.roles:
        allowed = ", ".join(sorted(rule.roles))
        raise ForbiddenError(f"a {who.role} may not do this; it needs one of: {allowed}")
    return who


def rule_of(route: APIRoute) -> Rule | None:
    """The access rule a route declares, if any."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        rule = getattr(dependant.call, RULE_ATTRIBUTE, None)
        if isinstance(rule, Rule):
            return rule
        pending.extend(dependant.dependencies)
    return None


@dataclass(frozen=True)
class RouteInfo:
    """One API route as served: its full path, method and declared rule."""

    path: str
    method: str
    rule: Rule | None


def api_routes(app: FastAPI) -> list[RouteInfo]:
    """Every API route of the app, through included routers."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            for method in sorted(context.methods or route.methods or ()):
                found.append(
                    RouteInfo(context.path_format or route.path_format, method, rule_of(route))
                )
    return found


def assert_covered(app: FastAPI) -> None:
    """Refuse to build an app with a route that has no access rule."""
    missing = [f"{r.method} {r.path}" for r in api_routes(app) if r.rule is None]
    if missing:
        raise RuntimeError(f"routes without an access rule: {', '.join(missing)}")


def require_self_or(who: Principal, staff_id: UUID, *roles: Role) -> None:
    """A consultant may see only their own work; the given roles see everyone's."""
    if who.role in roles or who.staff_id == staff_id:
        return
    raise ForbiddenError("a consultant sees only their own caseload and follow-ups")


def acting_staff(who: Principal, by: UUID | None) -> UUID:
    """The staff member a command is recorded for: the token's subject, always."""
    staff_id = who.staff_id
    if staff_id is None:
        raise ForbiddenError("only staff members (consultant, team_lead) record work")
    if by is not None and by != staff_id:
        raise ForbiddenError(
            "work is recorded for the token's own staff member; "
            "`by` must be omitted or equal the token's subject"
        )
    return staff_id


def acting_id(who: Principal, by: UUID | None) -> UUID:
    """The id an admin's or auditor's command is recorded for: the token's `actor_id`."""
    if by is not None and by != who.actor_id:
        raise ForbiddenError("`by` must be omitted or equal the token's own actor id")
    return who.actor_id


def require_municipality(who: Principal, municipality: str) -> None:
    """Writing data of a municipality needs that municipality in the token (an unknown
    code is left to the command, which answers 422)."""
    if municipality in municipalities() and not who.may_see(municipality):
        raise ForbiddenError(f"your token does not cover municipality {municipality}")


def visible_municipalities(who: Principal, asked: str | None) -> list[str]:
    """The municipalities a read may cover: the token's, narrowed to `asked` if given."""
    codes = sorted(who.municipalities)
    return [asked] if asked in who.municipalities else [] if asked else codes
