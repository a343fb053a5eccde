"""Signing in with the organisation's OpenID Connect provider.

Authlib runs the authorization-code flow (PKCE with S256, `state`, `nonce`); PyJWT
verifies the provider's tokens against its JWKS, which is fetched on first use, kept,
and fetched again when a token names a key (`kid`) it does not hold, so the provider
can rotate its keys without a restart. The provider is found by discovery
(`/.well-known/openid-configuration`) on first use.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client

from infra.settings import Settings

LEEWAY_SECONDS = 30
REFETCH_SECONDS = 10.0  # an unknown kid fetches the JWKS again at most this often
ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


class OidcError(Exception):
    """The provider's answer or token is not acceptable; the message says why."""


@dataclass(frozen=True)
class Flow:
    """What a sign-in keeps in the browser between the redirect and the callback."""

    state: str
    nonce: str
    code_verifier: str
    next: str


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in, read with the configured claim names."""

    staff_id: str
    role: str | None
    municipalities: list[str] | None
    id_token: str


@dataclass(frozen=True)
class Discovery:
    """The provider's endpoints, from its discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None


class Jwks:
    """The provider's signing keys: cached, fetched again on an unknown kid."""

    def __init__(
        self, fetch: Callable[[], dict[str, Any]], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._fetch, self._clock = fetch, clock
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def key(self, kid: str | None) -> jwt.PyJWK:
        """The key of this kid (the only key, if the token names none)."""
        with self._lock:
            found = self._lookup(kid)
            if found is None and (
                self._fetched_at is None or self._clock() - self._fetched_at >= REFETCH_SECONDS
            ):
                self._refresh()
                found = self._lookup(kid)
        if found is None:
            raise OidcError("the token names a key (kid) the provider does not publish")
        return found

    def holds(self, kid: str | None) -> bool:
        """Whether the key of this kid is at hand, or would not be fetched now anyway
        (so that finding it needs no network)."""
        with self._lock:
            return self._lookup(kid) is not None or (
                self._fetched_at is not None and self._clock() - self._fetched_at < REFETCH_SECONDS
            )

    def _lookup(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        return self._keys.get(kid)

    def _refresh(self) -> None:
        self._fetched_at = self._clock()
        keys: dict[str | None, jwt.PyJWK] = {}
        for data in self._fetch().get("keys", []):
            if data.get("use", "sig") != "sig":
                continue
            try:
                key = jwt.PyJWK(data)
            except jwt.PyJWKError:
                continue  # a key type PyJWT cannot use is not one of ours
            keys[data.get("kid")] = key
        self._keys = keys


class OidcClient:
    """The relying party: builds the authorization URL, finishes the callback, and
    verifies the provider's tokens."""

    def __init__(self, settings: Settings, http: httpx.Client | None = None) -> None:
        if not settings.oidc_issuer or not settings.oidc_client_id:
            raise ValueError("CASEBOOK_OIDC_ISSUER and CASEBOOK_OIDC_CLIENT_ID are both needed")
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        secret = settings.oidc_client_secret
        self._secret = secret.get_secret_value() if secret is not None else None
        self.scopes = settings.oidc_scopes
        self.redirect_url = settings.oidc_redirect_url
        self.api_audience = settings.oidc_api_audience or self.client_id
        self._claims = (
            settings.oidc_staff_id_claim,
            settings.oidc_role_claim,
            settings.oidc_municipalities_claim,
        )
        self._http = http or httpx.Client(timeout=10.0)
        self._discovery: Discovery | None = None
        self._lock = threading.Lock()
        self.jwks = Jwks(lambda: self._get_json(self.discovery().jwks_uri))

    def ready(self) -> bool:
        """Whether the discovery document is at hand (no network to find an endpoint)."""
        return self._discovery is not None

    def discovery(self) -> Discovery:
        """The provider's endpoints (fetched once)."""
        with self._lock:
            if self._discovery is None:
                doc = self._get_json(f"{self.issuer}/.well-known/openid-configuration")
                if str(doc.get("issuer", "")).rstrip("/") != self.issuer:
                    raise OidcError("the discovery document names another issuer")
                try:
                    self._discovery = Discovery(
                        issuer=str(doc["issuer"]),
                        authorization_endpoint=str(doc["authorization_endpoint"]),
                        token_endpoint=str(doc["token_endpoint"]),
                        jwks_uri=str(doc["jwks_uri"]),
                        end_session_endpoint=doc.get("end_session_endpoint"),
                    )
                except KeyError as error:
                    raise OidcError(f"the discovery document lacks {error}") from error
            return self._discovery

    def begin(self, redirect_url: str, next: str) -> tuple[str, Flow]:
        """The provider's authorization URL, and the flow to keep until the callback."""
        flow = Flow(generate_token(32), generate_token(32), generate_token(64), next)
        url, _ = self._session(redirect_url).create_authorization_url(
            self.discovery().authorization_endpoint,
            state=flow.state,
            code_verifier=flow.code_verifier,
            nonce=flow.nonce,
        )
        return str(url), flow

    def finish(self, flow: Flow, redirect_url: str, code: str, state: str) -> Identity:
        """Exchange the callback's code and verify the ID token; OidcError if refused."""
        if not state or state != flow.state:
            raise OidcError("the sign-in's state does not match")
        try:
            token = self._session(redirect_url).fetch_token(
                self.discovery().token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=flow.code_verifier,
            )
        except Exception as error:  # Authlib's OAuthError, httpx's errors
            raise OidcError(f"the provider refused the code: {error}") from error
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("the provider sent no ID token")
        claims = self.verify(id_token, audience=self.client_id, nonce=flow.nonce)
        return self.identity(claims, id_token)

    def verify(self, token: str, *, audience: str, nonce: str | None = None) -> dict[str, Any]:
        """The claims of a token the provider signed for this audience."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in ASYMMETRIC:
                raise OidcError(f"the token's algorithm {header.get('alg')!r} is not accepted")
            key = self.jwks.key(header.get("kid"))
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[str(header["alg"])],
                audience=audience,
                issuer=self.discovery().issuer,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
                leeway=LEEWAY_SECONDS,
            )
        except jwt.InvalidTokenError as error:
            raise OidcError(f"the token is not valid: {error}") from error
        if nonce is not None and claims.get("nonce") != nonce:
            raise OidcError("the ID token's nonce does not match the sign-in")
        aud = claims["aud"]
        if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != audience:
            raise OidcError("the token was issued to another party (azp)")
        return claims

    def identity(self, claims: dict[str, Any], id_token: str = "") -> Identity:
        """Who the claims name, read with the configured claim names."""
        staff_claim, role_claim, municipalities_claim = self._claims
        staff_id = claims.get(staff_claim)
        if not isinstance(staff_id, str) or not staff_id:
            raise OidcError(f"the token has no staff id (claim {staff_claim!r})")
        role = claims.get(role_claim)
        if isinstance(role, list):  # Entra ID's app roles are a list
            role = next((r for r in role if isinstance(r, str)), None)
        codes = claims.get(municipalities_claim)
        if isinstance(codes, str):
            codes = [c for c in codes.replace(",", " ").split() if c]
        return Identity(
            staff_id=staff_id,
            role=role if isinstance(role, str) else None,
            municipalities=[str(c) for c in codes] if isinstance(codes, list) else None,
            id_token=id_token,
        )

    def logout_url(self, after: str) -> str | None:
        """Where the browser ends the provider's session (RP-initiated logout), if it can."""
        endpoint = self.discovery().end_session_endpoint
        if not endpoint:
            return None
        query = urlencode({"client_id": self.client_id, "post_logout_redirect_uri": after})
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    def _session(self, redirect_url: str) -> OAuth2Client:
        return OAuth2Client(
            client_id=self.client_id,
            client_secret=self._secret,
            scope=self.scopes,
            redirect_uri=self.redirect_url or redirect_url,
            code_challenge_method="S256",
            timeout=10.0,
        )

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = self._http.get(url)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise OidcError(f"the provider did not answer {url}: {error}") from error
        if not isinstance(body, dict):
            raise OidcError(f"{url} did not answer a JSON object")
        return body
