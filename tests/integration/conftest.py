"""Integration fixtures (the `services` of the root conftest run on SQLite and PostgreSQL
here): a relay's own PostgreSQL schema and NATS stream."""

from __future__ import annotations

import pytest

from infra.settings import Settings
from services.bootstrap import migrate
from tests.conftest import NatsFor


@pytest.fixture
def relay_settings(postgres_settings: Settings, nats_for: NatsFor) -> Settings:
    """A PostgreSQL schema and a NATS stream of this test's own, migrated."""
    settings = nats_for(postgres_settings)
    migrate(settings)
    return settings
