"""The vendored assets under /app/static, at fingerprinted URLs cached for a year."""

from __future__ import annotations

from hashlib import sha256
from pathlib import Path
from urllib.parse import parse_qs

from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
PREFIX = "/app/static/"
IMMUTABLE = "public, max-age=31536000, immutable"

# Content hash of each file, read once per process: a changed file gets a new URL.
FINGERPRINTS = {
    path.name: sha256(path.read_bytes()).hexdigest()[:16]
    for path in STATIC.iterdir()
    if path.is_file()
}


def asset_url(name: str) -> str:
    """The URL of a vendored asset, with its content hash (`?v=`)."""
    return f"{PREFIX}{name}?v={FINGERPRINTS[name]}"


class Assets(StaticFiles):
    """The static files: at their fingerprinted URL cached for a year without
    revalidation (a warm page load asks for none of them); at any other URL
    revalidated every time, so an old fingerprint never pins stale content."""

    def __init__(self) -> None:
        super().__init__(directory=STATIC)

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]
        fresh = response.status_code in (200, 304) and asked == FINGERPRINTS.get(path)
        response.headers["Cache-Control"] = IMMUTABLE if fresh else "no-cache"
        return response
