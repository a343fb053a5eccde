"""A verified token is remembered per process: decoded once, its expiry still checked."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import pytest

from infra.settings import Settings
from services.http import auth
from services.http.auth import DEVELOPMENT_JWT_SECRET, Role, TokenError, TokenVerifier

SUBJECT = str(uuid.uuid4())


def _token(expires_in: int = 600) -> str:
    now = int(time.time())
    return jwt.encode(
        {
            "sub": SUBJECT,
            "role": "consultant",
            "aud": "casebook",
            "municipalities": ["165"],
            "iat": now,
            "exp": now + expires_in,
        },
        DEVELOPMENT_JWT_SECRET,
    )


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every token the verifier decodes, in order."""
    seen: list[str] = []
    real = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting)
    return seen


def test_a_token_sent_again_is_not_decoded_again(
    memory_settings: Settings, decodes: list[str]
) -> None:
    """The second request with the same token gets the same principal without a decode."""
    verifier = TokenVerifier(memory_settings)
    token = _token()
    first, second = verifier.verify(token), verifier.verify(token)
    assert first == second
    assert first.role is Role.CONSULTANT and first.subject == SUBJECT
    assert decodes == [token]


def test_a_remembered_token_is_refused_once_it_expires(memory_settings: Settings) -> None:
    """Past its expiry (and the leeway) a remembered token is refused like any other."""
    now = [time.time()]
    verifier = TokenVerifier(memory_settings, clock=lambda: now[0])
    token = _token(expires_in=60)
    verifier.verify(token)
    now[0] += 60 + auth.LEEWAY_SECONDS + 1
    with pytest.raises(TokenError, match="expired"):
        verifier.verify(token)


def test_a_refused_token_is_checked_again_each_time(
    memory_settings: Settings, decodes: list[str]
) -> None:
    """Only verified tokens are remembered: a bad one is refused on every request."""
    verifier = TokenVerifier(memory_settings)
    token = jwt.encode(
        {"sub": SUBJECT, "role": "consultant", "aud": "casebook", "exp": int(time.time()) + 600},
        "another-secret-that-is-long-enough",
    )
    for _ in range(2):
        with pytest.raises(TokenError, match="not valid"):
            verifier.verify(token)
    assert decodes == [token, token]


@pytest.mark.parametrize("fraction", [0.0, 0.9])
def test_a_remembered_token_is_refused_when_the_full_check_would_refuse_it(
    memory_settings: Settings, fraction: float
) -> None:
    """PyJWT takes a whole number of seconds from `exp` and refuses a token once
    `int(exp) <= now - leeway`; the remembered token is refused from the same moment,
    also when `exp` has a fraction (JWT allows a NumericDate to have one)."""
    start = float(int(time.time()))
    now = [start]
    verifier = TokenVerifier(memory_settings, clock=lambda: now[0])
    expires = start + 60 + fraction
    token = jwt.encode(
        {
            "sub": SUBJECT,
            "role": "consultant",
            "aud": "casebook",
            "municipalities": ["165"],
            "exp": expires,
        },
        DEVELOPMENT_JWT_SECRET,
    )
    verifier.verify(token)
    now[0] = int(expires) + auth.LEEWAY_SECONDS - 0.001
    assert verifier.verify(token).subject == SUBJECT
    now[0] = int(expires) + auth.LEEWAY_SECONDS
    with pytest.raises(TokenError, match="expired"):
        verifier.verify(token)
