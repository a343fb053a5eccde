"""The log as plain rows, on SQLite and on PostgreSQL."""

from __future__ import annotations

from uuid import UUID

from fastapi.testclient import TestClient

from services.feed.logged import read_parts
from services.feed.messages import Origin
from services.feed.origins import Origins
from services.http.container import Services


def test_read_log_gives_an_id_as_a_uuid_or_as_its_text(
    services: Services, staff: str, registered: str
) -> None:
    """The same rows either way; with text_ids each originator id is str() of its UUID."""
    store = services.app.store
    rows = store.read_log(1, 10)
    assert len(rows) == 2
    assert all(type(row[1]) is UUID for row in rows)
    assert store.read_log(1, 10, text_ids=True) == [
        (position, str(i), version, topic, state) for position, i, version, topic, state in rows
    ]


def test_a_fresh_cache_finds_a_company_by_the_text_of_its_id(
    services: Services,
    client: TestClient,
    staff: str,
    registered: str,
) -> None:
    """With ids read as text (as the relay reads them), a contact shown first still
    finds its company's registration, with one read."""
    contact = {
        "by": staff,
        "channel": "phone",
        "occurred_at": "2026-01-15T09:30:00+01:00",
        "summary": "Talked",
        "topics": [],
    }
    position = client.post(f"/companies/{registered}/contacts", json=contact).json()["position"]
    [row] = services.app.store.read_log(position, 1, text_ids=True)
    event = read_parts(services.app.mapper, *row[1:], row[0])
    origins = Origins(services.app)
    assert isinstance(event.originator_id, str)
    assert origins.of(event) == Origin("165", registered)
    assert origins.lookups == 1
