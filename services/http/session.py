"""Browser sessions: the bearer token in an HttpOnly cookie, and its CSRF token.

The cookie is `SameSite=Strict`, so other sites' pages never send it. Unsafe
requests made with it must also carry the session's CSRF token (a form field or
the `X-CSRF-Token` header) and, when the browser names one, our own Origin. The
CSRF token is an HMAC of the session's token, so it needs no server-side state
and changes with every sign-in; a page that cannot read the cookie cannot forge it.
"""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request, Response

from services.errors import ForbiddenError

SESSION_COOKIE = "casebook_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def csrf_token(session_token: str) -> str:
    """The CSRF token of the session holding this bearer token."""
    return hmac.new(session_token.encode(), b"casebook-csrf", hashlib.sha256).hexdigest()[:40]


def same_origin(request: Request) -> bool:
    """Whether the request's Origin (if the browser sent one) is this service."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


async def check_csrf(request: Request) -> None:
    """Refuse a cookie-authenticated unsafe request without the session's CSRF token."""
    if not same_origin(request):
        raise ForbiddenError("a cross-site request may not use the session cookie")
    session = request.cookies.get(SESSION_COOKIE, "")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        field = (await request.form()).get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if not sent or not hmac.compare_digest(sent, csrf_token(session)):
        raise ForbiddenError(
            "the form is out of date or was not sent by casebook's own "
            "pages (CSRF token missing or wrong); reload the page"
        )


def start_session(response: Response, token: str, *, secure: bool, max_age: int) -> None:
    """Keep the bearer token in the browser, out of reach of page scripts."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )


def end_session(response: Response) -> None:
    """Forget the session's token."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
