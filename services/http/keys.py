"""The keys that verify bearer tokens: an HMAC secret, a PEM public key or a JWKS file.

Each key has exactly one algorithm, taken from its type, so a token can only be
checked the way its key is meant to be used (`alg: none` and HS/RS confusion fail).
A key file is read again when it changes (looked at no more than once a second): an
identity provider's rotation takes effect without a restart. A file that cannot be
read or parsed (half written, removed) keeps the keys read before, until it can.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any

import jwt
import structlog
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

log = structlog.get_logger("casebook.auth")

RECHECK_SECONDS = 1.0  # how stale a key file's keys may be after it changes


@dataclass(frozen=True)
class Key:
    """One verification key and the only algorithm it verifies."""

    key: Any
    algorithm: str


KeyMap = Mapping[str | None, Key]
"""Keys by `kid`; a PEM key or an HMAC secret is the one key under None."""


def read_key_file(path: Path, jwks: bool) -> KeyMap:
    """The keys of a JWKS or PEM file (ValueError, jwt errors or OSError if unusable)."""
    if jwks:
        found = jwt.PyJWKSet.from_json(path.read_text())
        return {k.key_id: Key(k.key, algorithm_of(k.key)) for k in found.keys}
    key = load_pem_public_key(path.read_bytes())
    return {None: Key(key, algorithm_of(key))}


def algorithm_of(key: Any) -> str:
    """The one algorithm a public key verifies."""
    if isinstance(key, rsa.RSAPublicKey):
        return "RS256"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ES256"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "EdDSA"
    raise ValueError(f"unsupported verification key type {type(key).__name__}")


class KeyFile:
    """The keys of a file, read again when the file changes."""

    def __init__(
        self, path: Path, *, jwks: bool, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._path = path
        self._jwks = jwks
        self._monotonic = monotonic
        self._lock = Lock()
        self._stamp = self._stat()
        try:
            self.keys = read_key_file(path, jwks)
        except (OSError, ValueError, jwt.PyJWTError) as error:
            raise RuntimeError(f"cannot read the token keys in {path}: {error}") from error
        self._checked = monotonic()

    def refresh(self) -> bool:
        """Read the file again if it changed since it was last looked at (at most once
        a second); whether the keys changed."""
        now = self._monotonic()
        if now - self._checked < RECHECK_SECONDS:
            return False
        with self._lock:
            self._checked = now
            stamp = self._stat()
            if stamp == self._stamp:
                return False
            self._stamp = stamp
            try:
                keys = read_key_file(self._path, self._jwks)
            except (OSError, ValueError, jwt.PyJWTError) as error:
                log.warning("token_keys_unreadable", path=str(self._path), error=str(error))
                return False
            changed = keys != self.keys
            self.keys = keys
            if changed:
                log.info("token_keys_reloaded", path=str(self._path), keys=len(keys))
            return changed

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self._path)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino
