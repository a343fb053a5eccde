"""Hostile tokens: each way a bearer token can be forged, stale or meant for someone
else is refused with 401 and the reason; a staff member who has left gets 403."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from jwt.algorithms import RSAAlgorithm

from infra.settings import Settings
from services.app import create_app
from services.http.auth import DEVELOPMENT_JWT_SECRET, Role, mint_token
from tests.support.services import acting_client, open_services

SEARCH = "/companies?q=Firma"  # any consultant may search their own municipalities
ISSUER = "https://login.example.dk/casebook"


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": str(uuid.uuid4()),
        "role": "consultant",
        "aud": "casebook",
        "municipalities": ["165"],
        "iat": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


@contextmanager
def _client(settings: Settings) -> Iterator[TestClient]:
    services = open_services(settings)
    try:
        with TestClient(create_app(settings, services)) as client:
            yield client
    finally:
        services.close()


def _search(client: TestClient, token: str) -> Any:
    return client.get(SEARCH, headers={"Authorization": f"Bearer {token}"})


def _refused(r: Any, reason: str) -> None:
    """A 401 problem with a Bearer challenge and a detail that says why."""
    assert r.status_code == 401, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert reason in r.json()["detail"], r.json()


def _until(check: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Whether `check` holds within `seconds` (polled)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _write_jwks(path: Path, keys: dict[str, rsa.RSAPrivateKey]) -> None:
    """Replace the JWKS file as an identity provider's sync would: write, then rename."""
    jwks = {
        "keys": [
            {**RSAAlgorithm.to_jwk(k.public_key(), as_dict=True), "kid": kid, "use": "sig"}
            for kid, k in keys.items()
        ]
    }
    part = path.with_suffix(".part")
    part.write_text(json.dumps(jwks))
    os.replace(part, path)


def _rs256(key: rsa.RSAPrivateKey, kid: str, **changes: Any) -> str:
    return jwt.encode(_claims(**changes), key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def hmac_client(memory_settings: Settings) -> Iterator[TestClient]:
    """The embedded mode's app, verifying with the development HMAC key and an issuer."""
    with _client(memory_settings.model_copy(update={"jwt_issuer": ISSUER})) as client:
        yield client


def _hs256(**changes: Any) -> str:
    return jwt.encode(
        _claims(**{"iss": ISSUER, **changes}), DEVELOPMENT_JWT_SECRET, algorithm="HS256"
    )


def test_a_valid_token_is_accepted(hmac_client: TestClient) -> None:
    """The baseline the refusals below differ from by one thing each."""
    assert _search(hmac_client, _hs256()).status_code == 200


def test_an_unsigned_token_alg_none_is_refused(hmac_client: TestClient) -> None:
    """`alg: none` with every claim right is 401."""
    unsigned = jwt.encode(_claims(iss=ISSUER), key=None, algorithm="none")  # type: ignore[arg-type]
    _refused(_search(hmac_client, unsigned), "alg value is not allowed")
    _refused(_search(hmac_client, unsigned.rstrip(".")), "not valid")


def test_an_hs256_token_signed_with_the_rsa_public_key_is_refused(
    memory_settings: Settings, tmp_path: Path
) -> None:
    """With an RSA key configured, an HS256 token whose HMAC secret is that key's public
    PEM (the classic algorithm confusion) is 401, while an RS256 token is accepted."""
    key = _rsa()
    pem = tmp_path / "idp.pem"
    pem.write_bytes(_pem(key))
    settings = memory_settings.model_copy(update={"jwt_public_key_file": pem})
    segments = [
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=")
        for part in ({"alg": "HS256", "typ": "JWT"}, _claims())
    ]
    signing_input = b".".join(segments)
    mac = hmac.new(_pem(key), signing_input, hashlib.sha256).digest()
    forged = (signing_input + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()
    with _client(settings) as client:
        _refused(_search(client, forged), "alg value is not allowed")
        assert _search(client, jwt.encode(_claims(), key, algorithm="RS256")).status_code == 200


def test_a_token_of_an_unknown_kid_is_refused(memory_settings: Settings, tmp_path: Path) -> None:
    """Against a JWKS, a token naming a kid the set lacks, or none, is 401, even when
    the key that signed it is a real one of the set under another kid."""
    known, stranger = _rsa(), _rsa()
    jwks = tmp_path / "jwks.json"
    _write_jwks(jwks, {"known": known})
    with _client(memory_settings.model_copy(update={"jwt_jwks_file": jwks})) as client:
        assert _search(client, _rs256(known, "known")).status_code == 200
        _refused(_search(client, _rs256(stranger, "stranger")), "unknown key (kid)")
        _refused(_search(client, _rs256(known, "renamed")), "unknown key (kid)")
        no_kid = jwt.encode(_claims(), known, algorithm="RS256")
        _refused(_search(client, no_kid), "unknown key (kid)")
        _refused(_search(client, _rs256(stranger, "known")), "Signature verification failed")


def test_an_expired_token_is_refused(hmac_client: TestClient) -> None:
    """A token past its `exp` (beyond the 30 s leeway) is 401."""
    expired = _hs256(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    _refused(_search(hmac_client, expired), "the token has expired")


def test_a_token_not_yet_valid_is_refused(hmac_client: TestClient) -> None:
    """A token whose `nbf` is an hour ahead is 401."""
    _refused(_search(hmac_client, _hs256(nbf=int(time.time()) + 3600)), "not yet valid")


def test_a_token_for_another_audience_is_refused(hmac_client: TestClient) -> None:
    """A token issued for another service (`aud`), or for none, is 401."""
    _refused(_search(hmac_client, _hs256(aud="jobnet")), "Audience doesn't match")
    _refused(_search(hmac_client, _hs256(aud=None)), '"aud"')


def test_a_token_from_another_issuer_is_refused(hmac_client: TestClient) -> None:
    """With CASEBOOK_JWT_ISSUER set, a token of another `iss`, or none, is 401."""
    _refused(_search(hmac_client, _hs256(iss="https://evil.example")), "Invalid issuer")
    no_issuer = jwt.encode(_claims(), DEVELOPMENT_JWT_SECRET, algorithm="HS256")
    _refused(_search(hmac_client, no_issuer), '"iss"')


def test_a_jwks_rotation_takes_effect_while_the_service_runs(
    memory_settings: Settings, tmp_path: Path
) -> None:
    """The JWKS file changes under a running app: a token of the removed key, accepted
    (and remembered) a moment ago, is 401; a token of the new key is 200."""
    old, new = _rsa(), _rsa()
    jwks = tmp_path / "jwks.json"
    _write_jwks(jwks, {"2026-11": old})
    with _client(memory_settings.model_copy(update={"jwt_jwks_file": jwks})) as client:
        old_token, new_token = _rs256(old, "2026-11"), _rs256(new, "2026-12")
        assert _search(client, old_token).status_code == 200
        _refused(_search(client, new_token), "unknown key (kid)")
        _write_jwks(jwks, {"2026-12": new})
        assert _until(lambda: _search(client, old_token).status_code == 401)
        _refused(_search(client, old_token), "unknown key (kid)")
        assert _search(client, new_token).status_code == 200


def test_a_token_of_a_staff_member_who_has_left_is_403(memory_settings: Settings) -> None:
    """A consultant's token still within its expiry is refused with 403 once their
    departure is recorded (within CASEBOOK_STAFF_CACHE_SECONDS), on reads too."""
    settings = memory_settings.model_copy(update={"staff_cache_seconds": 0.2})
    services = open_services(settings)
    try:
        with acting_client(services) as client:
            r = client.post(
                "/staff",
                json={"name": "Gry", "municipality": "165", "unit": "job_centre"},
            )
            assert r.status_code == 201, r.text
            staff_id = r.json()["id"]
            token = mint_token(
                settings, subject=staff_id, role=Role.CONSULTANT, municipalities=["165"]
            )
            assert _search(client, token).status_code == 200
            r = client.post(
                f"/staff/{staff_id}/leave",
                json={"left_on": date.today().isoformat(), "reason": "new job"},
            )
            assert r.status_code == 200, r.text
            assert _until(lambda: _search(client, token).status_code == 403)
            r = _search(client, token)
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["detail"] == (
                f"staff member {staff_id} has left: their token no longer grants access"
            )
    finally:
        services.close()
