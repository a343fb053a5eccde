"""Signing in and out: the bearer token goes into an HttpOnly, SameSite=Strict cookie.

Production: paste the token your organisation issued (the intended production path
is an OIDC redirect, see the README). Embedded mode: pick one of the local staff.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from services.http.access import Scope, allow
from services.http.auth import Role, TokenError, mint_token
from services.http.deps import Svc
from services.http.reading import projections_at
from services.http.session import (
    SESSION_COOKIE,
    check_csrf,
    end_session,
    same_origin,
    start_session,
)
from services.read.queries.people import everyone_current
from services.web.render import page

router = APIRouter(prefix="/app", include_in_schema=False)
Public = allow(scope=Scope.PUBLIC)
SESSION_SECONDS = 8 * 3600


def safe_next(target: str | None) -> str:
    """Only our own pages are a place to go back to (no open redirect)."""
    if target and target.startswith("/app") and not target.startswith("//"):
        return target
    return "/app"


def pickable_staff(svc: Svc) -> list[dict[str, str]]:
    """The staff one may sign in as in the embedded mode (those who have not left)."""
    if not svc.settings.embedded:
        return []
    return [
        {
            "id": s.id,
            "name": s.name,
            "role": "team_lead" if s.role == "team_lead" else "consultant",
            "municipality": s.municipality,
        }
        for s in everyone_current(projections_at(svc))
    ]


def signin_page(
    request: Request, svc: Svc, *, status: int = 200, error: str = "", reason: bool = False
) -> Response:
    """The sign-in page (also the body of a page's 401)."""
    target = request.query_params.get("next") or (
        request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if reason
        else "/app"
    )
    return page(
        request,
        "signin.html",
        status,
        who=None,
        staff=pickable_staff(svc),
        next=safe_next(target),
        error=error,
        reason=reason,
    )


@router.get("/login", dependencies=[Public])
def login_form(request: Request, svc: Svc) -> Response:
    """The sign-in page."""
    return signin_page(request, svc)


@router.post("/login", dependencies=[Public])
def login(
    request: Request,
    svc: Svc,
    token: Annotated[str, Form(max_length=8000)] = "",
    staff_id: Annotated[str, Form(max_length=40)] = "",
    next: Annotated[str, Form(max_length=500)] = "/app",
) -> Response:
    """Start a session with a pasted token, or (embedded mode) as a picked staff member."""
    if not same_origin(request):
        return signin_page(request, svc, status=403, error="cross-site sign-in refused")
    if staff_id:
        chosen = [s for s in pickable_staff(svc) if s["id"] == staff_id]
        if not chosen:
            return signin_page(request, svc, status=422, error="unknown staff member")
        token = mint_token(
            svc.settings,
            subject=staff_id,
            role=Role(chosen[0]["role"]),
            municipalities=[chosen[0]["municipality"]],
            ttl_seconds=SESSION_SECONDS,
        )
    token = token.strip().removeprefix("Bearer ").strip()
    if not token:
        return signin_page(request, svc, status=422, error="no token given")
    try:
        request.app.state.verifier.verify(token)
    except TokenError as error:
        return signin_page(request, svc, status=401, error=str(error))
    response = RedirectResponse(safe_next(next), status_code=303)
    start_session(response, token, secure=request.url.scheme == "https", max_age=SESSION_SECONDS)
    return response


@router.post("/logout", dependencies=[Public])
async def logout(request: Request) -> Response:
    """End the session (the cookie is dropped; the token itself expires on its own).

    A session is ended only by its own pages (CSRF token), so another site cannot sign
    a user out."""
    if request.cookies.get(SESSION_COOKIE):
        await check_csrf(request)
    response = RedirectResponse("/app/login", status_code=303)
    end_session(response)
    return response
