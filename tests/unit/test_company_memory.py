"""A company in the command writer's cache holds little per contact it ever logged:
the writer caches thousands of companies for good, so what a contact keeps there is
what the API process grows by per command (the soak's RSS, docs/benchmarks.md)."""

from __future__ import annotations

import tracemalloc
import uuid
from datetime import timedelta

from tests.support.given import NOW, actor, company

CONTACTS = 5_000
MOST_BYTES_PER_CONTACT = 150  # its id; it held staff id, time and a record too: ~370


def test_a_cached_company_keeps_only_the_ids_of_its_contacts() -> None:
    """Each contact logged as a request would log it (its own staff id and time objects,
    decoded from that request) leaves under 150 bytes in the aggregate."""
    by, c = actor(), company()
    c.collect_events()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for i in range(CONTACTS):
            by = actor()  # each request's actor and time are objects of their own
            c.log_contact(
                contact_id=uuid.uuid4(),
                by=by,
                channel="phone",
                occurred_at=NOW - timedelta(seconds=i),
                summary="x",
                topics=[],
                now=NOW,
            )
            c.collect_events()
        del by
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(d.size_diff for d in after.compare_to(before, "filename"))
    assert len(c.contacts) == CONTACTS
    assert grown / CONTACTS < MOST_BYTES_PER_CONTACT, grown / CONTACTS
