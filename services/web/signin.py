"""Signing in and out: the bearer token goes into an HttpOnly, SameSite=Strict cookie.

With an identity provider (`CASEBOOK_OIDC_ISSUER`) the sign-in goes through it
(services/web/idp.py) and the page shows only its button. Without one: paste a token
your organisation issued, or (embedded mode) pick one of the local staff.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from services.http.access import Scope, allow
from services.http.auth import Role, TokenError, mint_token
from services.http.deps import Svc
from services.http.oidc import OidcError
from services.http.reading import projections_at
from services.http.session import (
    SESSION_COOKIE,
    check_csrf,
    end_session,
    same_origin,
    start_session,
)
from services.read.queries.people import everyone_current
from services.web.i18n import translate
from services.web.render import language, page

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
    request: Request,
    svc: Svc,
    *,
    status: int = 200,
    error: str = "",
    reason: bool = False,
    signed_out: bool = False,
) -> Response:
    """The sign-in page (also the body of a page's 401)."""
    target = request.query_params.get("next") or (
        request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if reason
        else "/app"
    )
    oidc = request.app.state.verifier.oidc
    return page(
        request,
        "signin.html",
        status,
        who=None,
        staff=pickable_staff(svc) if oidc is None else [],
        next=safe_next(target),
        error=error,
        reason=reason,
        signed_out=signed_out,
        provider=oidc is not None,
    )


@router.post("/login", dependencies=[Public])
def login(
    request: Request,
    svc: Svc,
    token: Annotated[str, Form(max_length=8000)] = "",
    staff_id: Annotated[str, Form(max_length=40)] = "",
    next: Annotated[str, Form(max_length=500)] = "/app",
) -> Response:
    """Start a session with a pasted token, or (embedded mode) as a picked staff member.
    With an identity provider, staff sign in only through it: no token is taken here."""
    if not same_origin(request):
        return signin_page(request, svc, status=403, error="cross-site sign-in refused")
    if request.app.state.verifier.oidc is not None:
        return signin_page(
            request, svc, status=403, error=translate("signin.provider_only", language(request))
        )
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
    """End the session (the cookie is dropped; the token itself expires on its own),
    and the identity provider's too when it offers that (RP-initiated logout).

    A session is ended only by its own pages (CSRF token), so another site cannot sign
    a user out."""
    if request.cookies.get(SESSION_COOKIE):
        await check_csrf(request)
    target = "/app/login"
    oidc = request.app.state.verifier.oidc
    if oidc is not None:
        after = str(request.base_url).rstrip("/") + "/app/signed-out"
        try:
            target = await run_in_threadpool(oidc.logout_url, after) or "/app/signed-out"
        except OidcError:
            target = "/app/signed-out"
    response = RedirectResponse(target, status_code=303)
    end_session(response)
    return response
