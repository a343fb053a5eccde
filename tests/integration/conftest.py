"""Integration fixtures: the unit tier's `services`, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.settings import Settings
from services.bootstrap import migrate
from services.http.container import Services
from tests.conftest import NatsFor, open_services


@pytest.fixture(params=["sqlite", "postgres"])
def services(request: pytest.FixtureRequest) -> Iterator[Services]:
    """Running services on a SQLite file, then on a PostgreSQL schema."""
    settings: Settings = request.getfixturevalue(f"{request.param}_settings")
    s = open_services(settings)
    yield s
    s.close()


@pytest.fixture
def relay_settings(postgres_settings: Settings, nats_for: NatsFor) -> Settings:
    """A PostgreSQL schema and a NATS stream of this test's own, migrated."""
    settings = nats_for(postgres_settings)
    migrate(settings)
    return settings
