"""Unit fixtures: services on the in-memory event store (no I/O)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.settings import Settings
from services.http.container import Services
from tests.conftest import open_services


@pytest.fixture
def services(memory_settings: Settings) -> Iterator[Services]:
    """Running services on the in-memory event store."""
    s = open_services(memory_settings)
    yield s
    s.close()
