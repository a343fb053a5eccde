"""The security headers every response carries, pages, problems and assets alike.

The pages' policy allows only casebook's own script, style and images (no inline
script or style attribute anywhere), no plugins, no `<base>`, forms posting only
to casebook, and no framing. FastAPI's interactive API docs (`/docs`, `/redoc`)
run an inline script from a CDN, so they get only the no-framing part. HSTS is
sent when the request came over HTTPS: directly, or through a proxy in
CASEBOOK_FORWARDED_ALLOW_IPS that says so in `X-Forwarded-Proto`.
"""

from __future__ import annotations

from starlette.types import Scope

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DOCS_POLICY = "frame-ancestors 'none'"
DOCS_PATHS = ("/docs", "/redoc")
HSTS = "max-age=31536000"  # a year; subdomains are the municipality's own business

_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    # Not no-referrer: with it, browsers send `Origin: null` on our own form posts,
    # which the CSRF check refuses as cross-site.
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


def security_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """The headers to add to the response to this request."""
    docs = scope["path"].startswith(DOCS_PATHS)
    policy = DOCS_POLICY if docs else PAGE_POLICY
    headers = [*_ALWAYS, (b"content-security-policy", policy.encode())]
    if scope.get("scheme") == "https":
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers
