"""The command API's cases again, on SQLite and on a real PostgreSQL.

The `services` fixture of tests/integration/conftest.py replaces the unit
tests' in-memory one.
"""

from __future__ import annotations

from tests.unit.test_api import *  # noqa: F403  (the same cases, other stores)
