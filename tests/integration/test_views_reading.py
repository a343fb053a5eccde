"""A page's reads in one read transaction (`ViewDb.reading`), on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.settings import Settings
from services.application import migrate
from services.views import REGISTRY, ViewDb


@pytest.fixture
def views(postgres_settings: Settings) -> Iterator[ViewDb]:
    migrate(postgres_settings)
    opened = ViewDb(postgres_settings)
    yield opened
    opened.close()


def _txid(views: ViewDb) -> int:
    return int(views.query("SELECT txid_current()")[0][0])


def test_reads_inside_reading_share_one_transaction(views: ViewDb) -> None:
    """Two reads in the block see one transaction; outside it, each has its own."""
    with views.reading():
        inside = {_txid(views), _txid(views)}
        with views.transaction(write=False) as sql:
            sql.execute("SELECT txid_current()")
            inside.add(int(sql.fetchall()[0][0]))
    assert len(inside) == 1
    assert _txid(views) != _txid(views)


def test_inside_reading_a_generation_is_looked_up_once(views: ViewDb) -> None:
    """A read model that moves on during the block keeps the position the block began
    with, so every part of a page joins the same generation and position."""
    with views.reading():
        before = views.active_generation("timeline")
        with views.transaction() as sql:  # a writer: a transaction of its own
            sql.execute(f"UPDATE {REGISTRY} SET position = position + 7 WHERE name = %s",
                        ("timeline",))
        assert views.active_generation("timeline") == before
    assert before is not None
    assert views.active_generation("timeline") == (before[0], before[1] + 7)
