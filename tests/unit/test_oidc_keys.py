"""The identity provider's keys and claims: a new kid fetches the JWKS again (key
rotation without a restart), at most once per interval; the claim names are settings."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from infra.settings import Settings
from services.http.oidc import REFETCH_SECONDS, Jwks, OidcClient, OidcError


def jwk(kid: str) -> dict[str, Any]:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    data: dict[str, Any] = ECAlgorithm.to_jwk(key, as_dict=True)
    return {**data, "kid": kid, "use": "sig", "alg": "ES256"}


def test_an_unknown_kid_fetches_the_keys_again() -> None:
    published = [jwk("one")]
    fetches: list[int] = []
    now = [0.0]

    def fetch() -> dict[str, Any]:
        fetches.append(1)
        return {"keys": list(published)}

    keys = Jwks(fetch, clock=lambda: now[0])
    assert keys.key("one").key_id == "one"
    assert keys.key("one").key_id == "one"
    assert len(fetches) == 1  # kept
    published.append(jwk("two"))  # the provider rotates
    now[0] += REFETCH_SECONDS
    assert keys.key("two").key_id == "two"
    assert len(fetches) == 2
    with pytest.raises(OidcError, match="kid"):
        keys.key("three")  # too soon after the last fetch: not fetched again
    assert len(fetches) == 2


def test_claim_names_are_settings() -> None:
    entra = OidcClient(
        Settings(
            database_url="memory://",
            oidc_issuer="https://login.example/tenant/v2.0",
            oidc_client_id="casebook",
            oidc_staff_id_claim="casebook_staff_id",
            oidc_role_claim="roles",
            oidc_municipalities_claim="casebook_municipalities",
        )
    )
    who = entra.identity(
        {"casebook_staff_id": "s-1", "roles": ["team_lead"], "casebook_municipalities": "165 101"}
    )
    assert (who.staff_id, who.role, who.municipalities) == ("s-1", "team_lead", ["165", "101"])
    with pytest.raises(OidcError, match="staff id"):
        entra.identity({"sub": "s-1"})
