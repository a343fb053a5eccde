"""The candidate cases again, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from tests.unit.test_candidates import *  # noqa: F403  (the same cases, other stores)
