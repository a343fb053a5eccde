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


def test_fetch_each_answers_every_statement_in_order(views: ViewDb) -> None:
    """Statements sent together answer in the order given, an empty result included."""
    rows = views.fetch_each([("SELECT %s::int", (1,)), ("SELECT 1 WHERE false", ()),
                             ("SELECT x FROM generate_series(1, %s) x", (3,))])
    assert rows == [[(1,)], [], [(1,), (2,), (3,)]]


def test_fetch_each_inside_reading_joins_its_transaction(views: ViewDb) -> None:
    """Statements sent together inside the block run in the block's transaction."""
    with views.reading():
        [[(first,)], [(second,)]] = views.fetch_each([("SELECT txid_current()", ()),
                                                      ("SELECT txid_current()", ())])
        assert first == second == _txid(views)


def test_fetch_each_works_on_sqlite_too(sqlite_settings: Settings) -> None:
    """The embedded store answers the same statements one after another."""
    migrate(sqlite_settings)
    views = ViewDb(sqlite_settings)
    try:
        assert views.fetch_each([("SELECT %s + 1", (1,)),
                                 ("SELECT 1 WHERE 0", ())]) == [[(2,)], []]
    finally:
        views.close()


def test_the_reads_of_a_block_see_one_moment(views: ViewDb) -> None:
    """What commits while a page is read is not seen by the page's later reads (on
    PostgreSQL in READ COMMITTED it would be), nor does it leave the connection in that
    mode for the next user of the pool."""
    with views.transaction() as sql:
        sql.execute("CREATE TABLE moment (n INTEGER)")
        sql.execute("INSERT INTO moment VALUES (1)")
    with views.reading():
        before = views.query("SELECT COUNT(*) FROM moment")
        with views.transaction() as sql:  # another connection: a worker's commit
            sql.execute("INSERT INTO moment VALUES (2)")
        after = views.query("SELECT COUNT(*) FROM moment")
    assert before == after == [(1,)]
    assert views.query("SELECT COUNT(*) FROM moment") == [(2,)]
    assert views.query("SHOW transaction_isolation") == [("read committed",)]
