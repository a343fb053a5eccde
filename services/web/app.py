"""Mounting the web app on the API's FastAPI app: routes, assets and error pages."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from services.http.deps import get_services
from services.web import (
    audit,
    candidates,
    company,
    dashboard,
    disputes,
    effects,
    forms,
    idp,
    pages,
    signin,
)
from services.web.assets import Assets
from services.web.i18n import translate
from services.web.render import language, page, wants_html

ROUTERS = (
    idp.router,
    signin.router,
    pages.router,
    dashboard.router,
    company.router,
    forms.router,
    candidates.router,
    audit.router,
    disputes.router,
    effects.router,
)


def error_page(
    request: Request, status: int, title: str, detail: str, extra: dict[str, Any]
) -> Response | None:
    """A browser's page request gets its problem as a page: 401 the sign-in form."""
    if not wants_html(request):
        return None
    if status == 401:
        return signin.signin_page(request, get_services(request), status=401, reason=True)
    lang = language(request)
    heading = {
        404: translate("error.not_found", lang),
        403: translate("error.forbidden", lang),
    }.get(status, translate("error.title", lang))
    if extra.get("errors"):
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in extra["errors"][:5])
    shown = detail if status < 500 else translate("error.title", lang)
    return page(
        request,
        "error.html",
        status,
        heading=heading,
        detail=shown,
        request_id=request.scope.get("state", {}).get("request_id"),
    )


def install(app: FastAPI) -> None:
    """Serve the pages under /app and their vendored assets under /app/static."""
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/app/static", Assets(), name="static")
    app.state.error_page = error_page
