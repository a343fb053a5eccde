"""Signing in through the organisation's identity provider (OpenID Connect).

With `CASEBOOK_OIDC_ISSUER` set, `GET /app/login` sends the browser to the provider
(PKCE, `state`, `nonce`), and `/app/auth/callback` finishes the sign-in: the code is
exchanged, the ID token verified, its claims mapped to a staff member, and the session
cookie set as for any sign-in. The flow's secrets wait in a short-lived, signed,
HttpOnly cookie of their own; it is `SameSite=Lax`, since the provider's redirect back
is a cross-site navigation, which a `Strict` cookie would not come with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from infra.settings import Settings
from services.http.auth import STAFF_ROLES, Role, mint_token, signing_secret
from services.http.deps import Svc
from services.http.oidc import Flow, Identity, OidcClient, OidcError
from services.http.reading import projections_at
from services.http.session import start_session
from services.read.queries.people import everyone_current
from services.web.i18n import translate
from services.web.render import language, page
from services.web.signin import SESSION_SECONDS, Public, safe_next, signin_page

router = APIRouter(prefix="/app", include_in_schema=False)
FLOW_COOKIE = "casebook_oidc"
FLOW_PATH = "/app/auth"
FLOW_SECONDS = 600
CALLBACK = "/app/auth/callback"


def provider(request: Request) -> OidcClient | None:
    """The identity provider's client, when one is configured."""
    oidc: OidcClient | None = request.app.state.verifier.oidc
    return oidc


def redirect_url(request: Request, oidc: OidcClient) -> str:
    """Where the provider sends the browser back: the setting, or our own callback."""
    return oidc.redirect_url or str(request.base_url).rstrip("/") + CALLBACK


@router.get("/login", dependencies=[Public])
def login_form(request: Request, svc: Svc) -> Response:
    """The sign-in page; with an identity provider, the way to it."""
    oidc = provider(request)
    if oidc is None:
        return signin_page(request, svc)
    target = safe_next(request.query_params.get("next"))
    try:
        url, flow = oidc.begin(redirect_url(request, oidc), target)
    except OidcError:
        return failure(request, 503, "signin.provider_down")
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        seal(svc.settings, flow),
        max_age=FLOW_SECONDS,
        path=FLOW_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/auth/callback", dependencies=[Public])
def callback(request: Request, svc: Svc) -> Response:
    """Finish the sign-in the provider sends back (each flow once: its cookie goes)."""
    oidc = provider(request)
    if oidc is None:
        return failure(request, 404, "signin.no_provider")
    flow = unseal(svc.settings, request.cookies.get(FLOW_COOKIE, ""))
    params = request.query_params
    if flow is None or "error" in params:
        return forget_flow(failure(request, 400, "signin.failed_help"))
    try:
        who = oidc.finish(
            flow, redirect_url(request, oidc), params.get("code", ""), params.get("state", "")
        )
    except OidcError:
        return forget_flow(failure(request, 400, "signin.failed_help"))
    token = session_token(svc, who)
    if token is None:
        return forget_flow(failure(request, 403, "signin.unknown_help", "signin.unknown"))
    # A page of our own takes the browser on: a redirect would still be the provider's
    # cross-site navigation, with which the SameSite=Strict session cookie is not sent.
    response = page(request, "signed_in.html", next=flow.next)
    start_session(response, token, secure=request.url.scheme == "https", max_age=SESSION_SECONDS)
    return forget_flow(response)


@router.get("/signed-out", dependencies=[Public])
def signed_out(request: Request, svc: Svc) -> Response:
    """Where the provider sends the browser after ending its session too."""
    return signin_page(request, svc, signed_out=True)


def session_token(svc: Svc, who: Identity) -> str | None:
    """A session token for the staff member the provider named; None when casebook
    does not know them (no active staff member with that id) or the role is not one a
    person signs in with."""
    known = {s.id: s for s in everyone_current(projections_at(svc))}
    member = known.get(who.staff_id)
    role_name = who.role or (member.role if member is not None else None)
    try:
        role = Role(role_name or "")
    except ValueError:
        return None
    if role is Role.SERVICE or (role in STAFF_ROLES and member is None):
        return None
    codes = who.municipalities
    if codes is None:
        codes = [member.municipality] if member is not None else []
    return mint_token(
        svc.settings,
        subject=who.staff_id,
        role=role,
        municipalities=codes,
        ttl_seconds=SESSION_SECONDS,
    )


def failure(request: Request, status: int, detail: str, heading: str = "signin.failed") -> Response:
    """A Danish (or English) page that says why the sign-in did not happen."""
    lang = language(request)
    return page(
        request,
        "error.html",
        status,
        heading=translate(heading, lang),
        detail=translate(detail, lang),
        request_id=request.scope.get("state", {}).get("request_id"),
    )


def forget_flow(response: Response) -> Response:
    """Drop the flow's cookie: a callback is answered once."""
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH, httponly=True, samesite="lax")
    return response


def _flow_key(settings: Settings) -> bytes:
    secret = signing_secret(settings)
    return hashlib.sha256(b"casebook-oidc-flow:" + secret.encode()).digest()


def seal(settings: Settings, flow: Flow) -> str:
    """The flow as a cookie value that only casebook can have written."""
    body = base64.urlsafe_b64encode(json.dumps(asdict(flow)).encode()).decode().rstrip("=")
    mac = hmac.new(_flow_key(settings), body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def unseal(settings: Settings, value: str) -> Flow | None:
    """The flow of a cookie value casebook wrote; None for any other value."""
    body, _, mac = value.partition(".")
    expected = hmac.new(_flow_key(settings), body.encode(), hashlib.sha256).hexdigest()
    if not body or not hmac.compare_digest(mac, expected):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        return Flow(**{k: str(data[k]) for k in ("state", "nonce", "code_verifier", "next")})
    except (ValueError, KeyError, TypeError):
        return None
