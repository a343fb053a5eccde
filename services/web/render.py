"""Rendering pages: the Jinja2 environment, the language, and the page context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.http.auth import Principal
from services.http.reading import projections_at
from services.http.session import CSRF_FIELD, SESSION_COOKIE, csrf_token
from services.read.queries.people import name_of
from services.web.assets import asset_url
from services.web.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    amount,
    day,
    moment,
    number,
    ore,
    translate,
)

HERE = Path(__file__).parent
LANG_COOKIE = "casebook_lang"
PARTIAL_HEADER = "x-partial"

_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # compiled once per process: no stat of the template files per page
)
_env.filters.update(day=day, moment=moment, number=number, amount=amount, ore=ore)
_env.globals["asset"] = asset_url


def language(request: Request) -> str:
    """The page's language: `?lang=`, else the cookie, else Danish."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return asked if asked in LANGUAGES else DEFAULT_LANGUAGE


def partial(request: Request) -> str | None:
    """Which fragment the page's script asked for (`X-Partial`), if any."""
    return request.headers.get(PARTIAL_HEADER)


def page(
    request: Request, template: str, status: int = 200, who: Principal | None = None, **values: Any
) -> HTMLResponse:
    """Render a template with the common context (language, texts, user, CSRF token)."""
    lang = language(request)
    session = request.cookies.get(SESSION_COOKIE)
    who = who if who is not None else getattr(request.state, "principal", None)
    context = {
        "lang": lang,
        "t": lambda key, **v: translate(key, lang, **v),
        "who": who,
        "who_name": _name_of(request, who),
        "csrf_field": CSRF_FIELD,
        "csrf": csrf_token(session) if session else "",
        "path": request.url.path,
        "query": str(request.url.query),
        **values,
    }
    response = HTMLResponse(_env.get_template(template).render(context), status_code=status)
    # Pages show personal data and what a consultant did: never kept by a browser or
    # a proxy. The security headers (CSP, ...) are the middleware's, on every response.
    response.headers["Cache-Control"] = "no-store"
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict")
    return response


def wants_html(request: Request) -> bool:
    """A page request from a browser (errors become pages rather than problem+json)."""
    return request.url.path.startswith("/app") and "text/html" in request.headers.get("accept", "")


def _name_of(request: Request, who: Principal | None) -> str | None:
    """The signed-in staff member's name, for the page header."""
    if who is None or who.staff_id is None:
        return None
    return name_of(projections_at(request.app.state.services), str(who.staff_id))
