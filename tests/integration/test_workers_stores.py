"""The workers' heartbeats in /readyz again, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from tests.unit.test_workers import *  # noqa: F403  (the same cases, other stores)
