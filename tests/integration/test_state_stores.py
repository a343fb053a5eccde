"""The bitemporal state cases again, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from tests.unit.test_state import *  # noqa: F403  (the same cases, other stores)
from tests.unit.test_state_snapshots import (  # noqa: F401  (snapshots stored on each store)
    test_a_later_read_folds_only_the_events_after_the_nearest_snapshot,
)
