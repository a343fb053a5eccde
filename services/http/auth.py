"""Who is asking: bearer tokens (JWT) with a subject, a role and municipality codes.

Tokens are verified with PyJWT: signature, expiry and audience, with an explicit list
of algorithms taken from the configured key (so `alg: none` and algorithm confusion
are refused). The embedded mode falls back to a development key that the README
names; the production mode refuses to start with it (see `check_production_keys`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import jwt

from infra.cache import BoundedCache
from infra.settings import Settings
from services.http.keys import Key, KeyFile, KeyMap
from services.http.oidc import OidcClient, OidcError

DEVELOPMENT_JWT_SECRET = "casebook-development-key-never-use-in-production"
"""The embedded mode's token key when none is set: documented in the README, public."""

_MUNICIPALITY = re.compile(r"^\d{3}$")
LEEWAY_SECONDS = 30  # clock skew allowed on a token's expiry


class Role(StrEnum):
    """What a token's holder may do (DESIGN.md, Security)."""

    CONSULTANT = "consultant"  # read and write within own municipality
    TEAM_LEAD = "team_lead"  # + reassign, caseloads, queues
    AUDITOR = "auditor"  # read-only across the token's municipalities; disputes
    SERVICE = "service"  # the event log
    ADMIN = "admin"  # staff, contracts


STAFF_ROLES = frozenset({Role.CONSULTANT, Role.TEAM_LEAD})


class TokenError(Exception):
    """The bearer token is missing or not acceptable; the message says why."""


@dataclass(frozen=True)
class Principal:
    """The verified holder of a token."""

    subject: str
    role: Role
    municipalities: frozenset[str]

    def may_see(self, municipality: str) -> bool:
        """Whether data of this municipality is visible to the holder."""
        return municipality in self.municipalities

    @property
    def actor_id(self) -> UUID:
        """The id events record for this holder: the subject if it is a UUID, else a
        UUID derived from it (uuid5), so the same subject always records the same id."""
        return self.staff_id or uuid5(NAMESPACE_URL, f"casebook:subject:{self.subject}")

    @property
    def staff_id(self) -> UUID | None:
        """The subject as a staff member's id, if it is one."""
        try:
            return UUID(self.subject)
        except ValueError:
            return None


class TokenVerifier:
    """Verifies bearer tokens with the configured key and algorithms."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._verified: BoundedCache[str, tuple[Principal, int]] = BoundedCache(1024)
        self.audience = settings.jwt_audience
        self.issuer = settings.jwt_issuer
        self._file: KeyFile | None = None
        if settings.jwt_jwks_file is not None:
            self._file = KeyFile(Path(settings.jwt_jwks_file), jwks=True)
        elif settings.jwt_public_key_file is not None:
            self._file = KeyFile(Path(settings.jwt_public_key_file), jwks=False)
        self._secret: KeyMap = {None: Key(signing_secret(settings), "HS256")}
        self.oidc = OidcClient(settings) if settings.oidc_issuer else None

    @property
    def keys(self) -> KeyMap:
        """The keys tokens are verified with now, by `kid`."""
        return self._file.keys if self._file is not None else self._secret

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; TokenError (with the reason) otherwise.

        A token verified before is not decoded and checked again (a client sends the
        same one with every request): only its expiry is, against the clock."""
        if self._file is not None and self._file.refresh():
            self._verified.clear()  # a token of a removed key must be checked again
        now = self._clock()
        known = self._verified.get(token)
        if known is not None:
            who, expires = known
            if expires <= now - LEEWAY_SECONDS:  # PyJWT's rule, to the same moment
                raise TokenError("the token has expired")
            return who
        claims = self._decode(token)
        who = principal_from_claims(claims)
        if isinstance(claims["exp"], int | float) and float(claims.get("nbf", 0)) <= now:
            # PyJWT compares the whole seconds of `exp` (int()), so the cache does too.
            self._verified.put(token, (who, int(claims["exp"])))
        return who

    def needs_network(self, token: str) -> bool:
        """Whether verifying this token would ask the identity provider (its discovery
        document or keys): the event loop then verifies it on a worker thread."""
        if self.oidc is None or self._verified.get(token) is not None:
            return False
        if _issuer_of(token) != self.oidc.issuer:
            return False
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.InvalidTokenError:
            return False
        return not self.oidc.ready() or not self.oidc.jwks.holds(kid)

    def _decode(self, token: str) -> dict[str, Any]:
        if self.oidc is not None and _issuer_of(token) == self.oidc.issuer:
            return self._decode_provider_token(self.oidc, token)
        try:
            header = jwt.get_unverified_header(token)
            keys = self.keys
            key = keys.get(header.get("kid"), keys.get(None))
            if key is None:
                raise TokenError("the token names an unknown key (kid)")
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "sub", "aud"]},
                leeway=LEEWAY_SECONDS,
            )
        except jwt.ExpiredSignatureError as error:
            raise TokenError("the token has expired") from error
        except jwt.InvalidTokenError as error:
            raise TokenError(f"the token is not valid: {error}") from error
        return claims

    def _decode_provider_token(self, oidc: OidcClient, token: str) -> dict[str, Any]:
        """The claims of the identity provider's token, in casebook's names."""
        try:
            claims = oidc.verify(token, audience=oidc.api_audience)
            who = oidc.identity(claims)
        except OidcError as error:
            raise TokenError(str(error)) from error
        if who.role is None:
            raise TokenError("the provider's token names no role")
        return {
            **claims,
            "sub": who.staff_id,
            "role": who.role,
            "municipalities": who.municipalities or [],
        }


def _issuer_of(token: str) -> str | None:
    """The unverified `iss` of a token (which key verifies it), if it has one."""
    try:
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.InvalidTokenError:
        return None
    return str(issuer).rstrip("/") if isinstance(issuer, str) else None


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """The principal named by verified claims; TokenError if they are malformed."""
    try:
        role = Role(str(claims.get("role")))
    except ValueError as error:
        raise TokenError(f"unknown role {claims.get('role')!r}") from error
    codes = claims.get("municipalities", [])
    if not isinstance(codes, list) or not all(
        isinstance(c, str) and _MUNICIPALITY.match(c) for c in codes
    ):
        raise TokenError("municipalities must be a list of three-digit codes")
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise TokenError("the subject (sub) must be a non-empty string")
    if role in STAFF_ROLES:
        try:
            UUID(subject)
        except ValueError as error:
            raise TokenError("a staff token's subject must be the staff member's id") from error
    return Principal(subject=subject, role=role, municipalities=frozenset(codes))


def signing_secret(settings: Settings) -> str:
    """The HMAC key: the configured one, or the development key in the embedded mode."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    return DEVELOPMENT_JWT_SECRET


def mint_token(
    settings: Settings,
    *,
    subject: str,
    role: Role | str,
    municipalities: list[str] | frozenset[str],
    ttl_seconds: int = 8 * 3600,
) -> str:
    """A token signed with the HMAC key (development, demo, tests, `casebook token`)."""
    if settings.jwt_public_key_file is not None or settings.jwt_jwks_file is not None:
        raise TokenError(
            "tokens are issued by your identity provider when a public key "
            "verifies them; casebook can only sign with an HMAC secret"
        )
    now = int(time.time())
    claims = {
        "sub": subject,
        "role": str(Role(role)),
        "aud": settings.jwt_audience,
        "municipalities": sorted(municipalities),
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": uuid4().hex,  # every sign-in a new session cookie value, even in one second
    }
    if settings.jwt_issuer is not None:
        claims["iss"] = settings.jwt_issuer
    return jwt.encode(claims, signing_secret(settings), algorithm="HS256")


def check_production_keys(settings: Settings) -> None:
    """Refuse the development keys outside the embedded mode (RuntimeError says which)."""
    if settings.oidc_issuer and (settings.jwt_public_key_file or settings.jwt_jwks_file):
        raise RuntimeError(
            "with CASEBOOK_OIDC_ISSUER the provider's JWKS verifies its tokens and "
            "CASEBOOK_JWT_SECRET signs the browser sessions: unset "
            "CASEBOOK_JWT_PUBLIC_KEY_FILE and CASEBOOK_JWT_JWKS_FILE"
        )
    if settings.oidc_issuer and not settings.oidc_client_id:
        raise RuntimeError("CASEBOOK_OIDC_ISSUER needs CASEBOOK_OIDC_CLIENT_ID")
    if settings.embedded:
        return
    has_key = (
        settings.jwt_public_key_file is not None
        or settings.jwt_jwks_file is not None
        or settings.jwt_secret is not None
    )
    if not has_key or (
        signing_secret(settings) == DEVELOPMENT_JWT_SECRET
        and (settings.jwt_public_key_file is None and settings.jwt_jwks_file is None)
    ):
        raise RuntimeError(
            "production mode needs a real token key: set CASEBOOK_JWT_SECRET, "
            "CASEBOOK_JWT_PUBLIC_KEY_FILE or CASEBOOK_JWT_JWKS_FILE"
        )
    if settings.jwt_secret is not None and len(settings.jwt_secret.get_secret_value()) < 32:
        raise RuntimeError("CASEBOOK_JWT_SECRET must be at least 32 characters")


def claims_json(token: str) -> str:
    """The claims of a token, unverified, for display (`casebook token` prints them)."""
    return json.dumps(jwt.decode(token, options={"verify_signature": False}), indent=2)
