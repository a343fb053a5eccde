"""Per-client rate limits: a token's subject, or an address without a valid token, over
its limit gets 429 with Retry-After; other clients and the health probes are unaffected."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from infra.settings import Settings
from services.app import create_app
from services.http.auth import Role, mint_token
from services.http.container import Services
from services.http.ratelimit import RateLimiter
from services.http.session import SESSION_COOKIE
from tests.support.api import assert_problem
from tests.support.services import open_services

LIMITED = Settings(
    database_url="memory://",
    log_level="warning",
    rate_limit_per_minute=5,
    rate_limit_unauthenticated_per_minute=3,
)


@pytest.fixture
def limited() -> Iterator[Services]:
    services = open_services(LIMITED)
    yield services
    services.close()


def app_client(services: Services, address: str = "10.0.0.1") -> TestClient:
    return TestClient(create_app(services.settings, services), client=(address, 40000))


def bearer(settings: Settings, subject: str | None = None) -> dict[str, str]:
    token = mint_token(
        settings, subject=subject or str(uuid.uuid4()), role=Role.AUDITOR, municipalities=["165"]
    )
    return {"Authorization": f"Bearer {token}"}


def test_a_flooding_token_gets_429_and_other_tokens_do_not(limited: Services) -> None:
    with app_client(limited) as client:
        flooder, other = bearer(LIMITED), bearer(LIMITED)
        answers = [client.get("/companies", headers=flooder).status_code for _ in range(5)]
        assert answers == [200] * 5
        refused = client.get("/companies", headers=flooder)
        assert_problem(refused, 429, "more than 5 requests a minute")
        assert int(refused.headers["retry-after"]) >= 1
        assert client.get("/companies", headers=other).status_code == 200


def test_every_token_of_one_subject_shares_its_limit(limited: Services) -> None:
    subject = str(uuid.uuid4())
    with app_client(limited) as client:
        for _ in range(5):  # a new token for every request, all of one holder
            assert client.get("/companies", headers=bearer(LIMITED, subject)).status_code == 200
        assert client.get("/companies", headers=bearer(LIMITED, subject)).status_code == 429


def test_the_session_cookie_counts_as_its_token(limited: Services) -> None:
    token = bearer(LIMITED)["Authorization"].removeprefix("Bearer ")
    with app_client(limited) as client:
        client.cookies.set(SESSION_COOKIE, token)
        assert [client.get("/companies").status_code for _ in range(6)] == [200] * 5 + [429]


def test_an_address_without_a_valid_token_is_limited_by_address(limited: Services) -> None:
    with app_client(limited, "10.0.0.2") as client:
        bad = {"Authorization": "Bearer not-a-token"}
        answers = [client.get("/companies", headers=bad).status_code for _ in range(3)]
        assert answers == [401] * 3
        assert_problem(client.get("/companies"), 429, "this address sent more than 3")
        assert client.get("/companies", headers=bearer(LIMITED)).status_code == 200
    with app_client(limited, "10.0.0.3") as elsewhere:
        assert elsewhere.get("/companies").status_code == 401


def test_health_probes_are_never_limited(limited: Services) -> None:
    with app_client(limited, "10.0.0.4") as client:
        for _ in range(4):
            client.get("/companies")
        assert client.get("/companies").status_code == 429
        probes = [client.get(path).status_code for path in ("/healthz", "/readyz") * 10]
        assert 429 not in probes


def test_a_limit_of_zero_is_no_limit() -> None:
    services = open_services(LIMITED.model_copy(update={"rate_limit_per_minute": 0}))
    try:
        with app_client(services) as client:
            headers = bearer(LIMITED)
            assert {client.get("/companies", headers=headers).status_code for _ in range(20)} == {
                200
            }
    finally:
        services.close()


def test_a_bucket_refills_evenly_over_the_minute() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    assert [limiter.wait_for("a") for _ in range(60)] == [0.0] * 60
    assert limiter.wait_for("a") == pytest.approx(1.0)
    now[0] += 0.5
    assert limiter.wait_for("a") == pytest.approx(0.5)
    now[0] += 0.5
    assert limiter.wait_for("a") == 0.0
    assert limiter.wait_for("b") == 0.0  # another client has its own bucket
    now[0] += 3600  # a bucket holds at most a minute's requests
    assert [limiter.wait_for("a") for _ in range(61)].count(0.0) == 60


def test_the_default_limits() -> None:
    assert (Settings().rate_limit_per_minute, Settings().rate_limit_unauthenticated_per_minute) == (
        600,
        300,
    )
