"""A page's reads in one read transaction (`ProjectionDb.reading`), on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from infra.settings import Settings
from projections.base import Sql, Statement
from projections.overview import TOTALS, OverviewProjection
from services.bootstrap import migrate
from services.read.db import REGISTRY, ProjectionDb, prefix_of
from tests.support.api import consultant, post
from tests.support.services import acting_client, open_services


@pytest.fixture
def views(postgres_settings: Settings) -> Iterator[ProjectionDb]:
    migrate(postgres_settings)
    opened = ProjectionDb(postgres_settings)
    yield opened
    opened.close()


def _txid(views: ProjectionDb) -> int:
    return int(views.query("SELECT txid_current()")[0][0])


def test_reads_inside_reading_share_one_transaction(views: ProjectionDb) -> None:
    """Two reads in the block see one transaction; outside it, each has its own."""
    with views.reading():
        inside = {_txid(views), _txid(views)}
        with views.transaction(write=False) as sql:
            sql.execute("SELECT txid_current()")
            inside.add(int(sql.fetchall()[0][0]))
    assert len(inside) == 1
    assert _txid(views) != _txid(views)


def test_inside_reading_a_generation_is_looked_up_once(views: ProjectionDb) -> None:
    """A read model that moves on during the block keeps the position the block began
    with, so every part of a page joins the same generation and position."""
    with views.reading():
        before = views.active_generation("timeline")
        with views.transaction() as sql:  # a writer: a transaction of its own
            sql.execute(
                f"UPDATE {REGISTRY} SET position = position + 7 WHERE name = %s", ("timeline",)
            )
        assert views.active_generation("timeline") == before
    assert before is not None
    assert views.active_generation("timeline") == (before[0], before[1] + 7)


def test_fetch_each_answers_every_statement_in_order(views: ProjectionDb) -> None:
    """Statements sent together answer in the order given, an empty result included."""
    rows = views.fetch_each(
        [
            ("SELECT %s::int", (1,)),
            ("SELECT 1 WHERE false", ()),
            ("SELECT x FROM generate_series(1, %s) x", (3,)),
        ]
    )
    assert rows == [[(1,)], [], [(1,), (2,), (3,)]]


def test_fetch_each_inside_reading_joins_its_transaction(views: ProjectionDb) -> None:
    """Statements sent together inside the block run in the block's transaction."""
    with views.reading():
        [[(first,)], [(second,)]] = views.fetch_each(
            [("SELECT txid_current()", ()), ("SELECT txid_current()", ())]
        )
        assert first == second == _txid(views)


def test_fetch_each_works_on_sqlite_too(sqlite_settings: Settings) -> None:
    """The embedded store answers the same statements one after another."""
    migrate(sqlite_settings)
    views = ProjectionDb(sqlite_settings)
    try:
        assert views.fetch_each([("SELECT %s + 1", (1,)), ("SELECT 1 WHERE 0", ())]) == [[(2,)], []]
    finally:
        views.close()


def test_the_reads_of_a_block_see_one_moment(views: ProjectionDb) -> None:
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


async def _names(views: ProjectionDb, built: list[int], on_loop: bool = False) -> list[str]:
    """The overview's company names, read with `read_once` (`read_once_async` if
    `on_loop`); the generations each build was made for are appended to `built`."""

    def build(generations: Mapping[str, int]) -> list[Statement]:
        built.append(generations["overview"])
        return [
            (
                f"SELECT name FROM {prefix_of('overview', generations['overview'])}"
                "companies ORDER BY name",
                (),
            )
        ]

    if on_loop:
        active, [rows] = await views.read_once_async(["overview"], build)
    else:
        active, [rows] = views.read_once(["overview"], build)
    assert active["overview"][0] == built[-1]  # the rows are of the generation it names
    return [name for (name,) in rows]


def _company(views: ProjectionDb, generation: int, name: str) -> None:
    with views.transaction() as sql:
        sql.execute(
            f"INSERT INTO {prefix_of('overview', generation)}companies (company_id, "
            f"cvr, name, municipality, {', '.join(TOTALS)}) VALUES "
            f"(%s, %s, %s, %s{', 0' * len(TOTALS)})",
            (name, "1", name, "101"),
        )


def _counted(trips: list[str], name: str, real: Any) -> Any:
    """`real`, noting each call's name in `trips`."""

    def counted(self: ProjectionDb, *args: Any) -> Any:
        trips.append(name)
        return real(self, *args)

    return counted


@pytest.mark.parametrize("on_loop", [False, True], ids=["thread", "event loop"])
def test_read_once_follows_a_swap_and_a_dropped_generation(
    views: ProjectionDb, postgres_settings: Settings, on_loop: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read made for the generation the last read found, which a rebuild has since
    swapped out, is made again for the new one; one whose tables a second swap dropped
    too (another API process, which read before both) likewise. Either way the answer
    is the active generation's, and the pooled connection is left as it was lent. So
    too on the event loop, from the async pool (`read_once_async`)."""
    trips: list[str] = []
    for name in ("_one_trip", "_one_trip_async"):
        monkeypatch.setattr(ProjectionDb, name, _counted(trips, name, getattr(ProjectionDb, name)))

    async def scenario() -> None:
        other = ProjectionDb(postgres_settings)  # another API process
        pools = [await views.open_async(), await other.open_async()] if on_loop else []
        try:
            _company(views, 1, "one")
            built: list[int] = []
            assert await _names(views, built, on_loop) == ["one"] and built == [1]
            assert await _names(other, [], on_loop) == ["one"]
            assert await _names(views, built, on_loop) == ["one"] and built == [1, 1]

            views.start_generation(OverviewProjection, 2, active=False)
            _company(views, 2, "two")
            views.activate(OverviewProjection, 2)
            assert await _names(views, built, on_loop) == ["two"] and built == [1, 1, 1, 2]

            views.start_generation(OverviewProjection, 3, active=False)
            _company(views, 3, "three")
            views.activate(OverviewProjection, 3)  # drops generation 1's tables
            assert views.query(
                "SELECT to_regclass(%s)", (prefix_of("overview", 1) + "companies",)
            ) == [(None,)]
            built = []
            assert await _names(other, built, on_loop) == ["three"] and built == [1, 3]
            # The failed try's transaction was ended and the connection is back to
            # normal (not autocommit): a transaction that raises leaves nothing.
            with pytest.raises(RuntimeError), other.transaction() as sql:
                _company_in(sql, "rolled back")
                raise RuntimeError
            assert await _names(other, [], on_loop) == ["three"]
        finally:
            for db, pool in zip((views, other), pools, strict=False):
                await db.close_async(pool)
            other.close()

    asyncio.run(scenario())
    # One statement a try, from the loop's own pool when the read is on the loop.
    assert set(trips) == {"_one_trip_async" if on_loop else "_one_trip"}
    assert len(trips) == 5  # (a first read and one after a dropped table: two steps)


def _company_in(sql: Sql, name: str) -> None:
    sql.execute(
        f"INSERT INTO {prefix_of('overview', 3)}companies (company_id, cvr, name, "
        f"municipality, {', '.join(TOTALS)}) VALUES "
        f"(%s, %s, %s, %s{', 0' * len(TOTALS)})",
        (name, "1", name, "101"),
    )


def test_read_once_is_one_transaction_with_the_registry(views: ProjectionDb) -> None:
    """The statements and the registry's positions are read in one transaction, the
    first time (the registry read first) and once the generations are known (one
    statement)."""

    def build(generations: Mapping[str, int]) -> list[Statement]:
        return [("SELECT txid_current()", ()), ("SELECT txid_current()", ())]

    for _ in range(2):
        active, [[(first,)], [(second,)]] = views.read_once(["overview"], build)
        assert first == second
        assert active == views.active_generations()


def test_read_once_answers_rows_as_the_statements_give_them(
    views: ProjectionDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read as one statement, each statement's rows come back in its order, with its
    columns in order (two of one name apart), as text, integers, booleans and NULL."""
    statements: list[Statement] = [
        (
            "SELECT x, 'n' || x AS name, 'm' || x AS name, x %% 2 = 0, NULL::text "
            "FROM generate_series(%s::int, 1, -1) x ORDER BY x DESC",
            (5,),
        ),
        ("SELECT 1 WHERE false", ()),
        ("SELECT %s::text, %s::bigint", ('æøå "%s"', 2**40)),
    ]
    views.read_once(["overview"], lambda generations: statements)  # generations learnt
    trips: list[int] = []
    one_trip = ProjectionDb._one_trip

    def counted(self: ProjectionDb, given: Sequence[Statement]) -> Any:
        trips.append(len(given))
        return one_trip(self, given)

    monkeypatch.setattr(ProjectionDb, "_one_trip", counted)
    _, rows = views.read_once(["overview"], lambda generations: statements)
    assert trips == [3]
    assert rows == [
        [(x, f"n{x}", f"m{x}", x % 2 == 0, None) for x in range(5, 0, -1)],
        [],
        [('æøå "%s"', 2**40)],
    ]
    assert rows == views.fetch_each(statements)  # as the driver decodes them itself


def test_the_overview_and_a_timeline_page_are_one_round_trip_each(
    postgres_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each is read as one statement from the event loop's own pool (the app opened it
    as it started), never with the registry read first; a timeline page that has
    corrections makes one more."""
    services = open_services(postgres_settings)
    try:
        with acting_client(services) as client:
            staff = client.post(
                "/staff",
                json={"name": "Gry Lyngbakke", "municipality": "165", "unit": "job_centre"},
            ).json()["id"]
            client.post(
                "/companies",
                json={"cvr": "13748136", "name": "Glans ApS", "municipality": "165", "by": staff},
            )
            logged = client.post(
                "/companies/13748136/contacts",
                json={
                    "by": staff,
                    "channel": "phone",
                    "summary": "call",
                    "occurred_at": "2026-11-02T10:00:00+01:00",
                },
            ).json()
            head = logged["position"]
            # Every read model there, and each read's generation learnt once.
            for path in ("/companies/13748136", "/companies/13748136/timeline"):
                assert client.get(path, params={"min_position": head}).status_code == 200
            trips: list[str] = []
            for name in ("_one_trip", "_one_trip_async"):
                monkeypatch.setattr(
                    ProjectionDb, name, _counted(trips, name, getattr(ProjectionDb, name))
                )

            def refused(self: ProjectionDb, build: Any) -> Any:
                raise AssertionError("read the registry first")

            monkeypatch.setattr(ProjectionDb, "_read_in_steps", refused)
            overview = client.get("/companies/13748136").json()
            assert overview["last_contact"]["summary"] == "call"
            assert trips == ["_one_trip_async"]
            page = client.get("/companies/13748136/timeline").json()
            assert [e["kind"] for e in page["entries"]] == ["contact_logged", "registered"]
            assert trips[1:] == ["_one_trip_async"]
            corrected = client.post(
                f"/companies/13748136/contacts/{logged['id']}/corrections",
                json={
                    "by": staff,
                    "channel": "email",
                    "summary": "mail",
                    "reason": "was a mail",
                    "occurred_at": "2026-11-02T10:00:00+01:00",
                },
            ).json()
            page = client.get(
                "/companies/13748136/timeline", params={"min_position": corrected["position"]}
            ).json()
            assert page["entries"][0]["replaces"]["summary"] == "call"
            assert trips[2:] == ["_one_trip_async"] * 2  # a page with a correction: two
    finally:
        services.close()


class _Overtaken(ProjectionDb):
    """A ProjectionDb on which another request thread sets the remembered generations right
    after this thread does (its own read older than this one's)."""

    overtaking: dict[str, int] | None = None

    @property
    def _assumed(self) -> dict[str, int]:
        found: dict[str, int] = self.__dict__["_remembered"]
        return found

    @_assumed.setter
    def _assumed(self, value: dict[str, int]) -> None:
        self.__dict__["_remembered"] = value
        if self.overtaking is not None:
            self.__dict__["_remembered"], self.overtaking = self.overtaking, None


def test_a_read_builds_for_its_own_snapshot_whatever_other_threads_remember(
    postgres_settings: Settings,
) -> None:
    """The two-step read (here inside `reading()`, as the web page reads) makes its
    statements for the generations its own snapshot names, even when another thread
    has meanwhile remembered an older one (found in review)."""
    migrate(postgres_settings)
    views = _Overtaken(postgres_settings)
    try:
        views.start_generation(OverviewProjection, 2, active=False)
        views.activate(OverviewProjection, 2)
        built: list[int] = []

        def build(generations: Mapping[str, int]) -> list[Statement]:
            built.append(generations["overview"])
            return [
                (f"SELECT 1 FROM {prefix_of('overview', generations['overview'])}companies", ())
            ]

        views.overtaking = {
            **{n: g for n, (g, _) in views.active_generations().items()},
            "overview": 1,
        }
        with views.reading():
            active, _ = views.read_once(["overview"], build)
        assert active["overview"][0] == 2
        assert built == [2]
    finally:
        views.close()


def test_each_running_app_has_its_own_loop_pool_and_closes_it(
    postgres_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two apps on one set of services (two loops): each reads from its own loop's pool,
    and one stopping leaves the other's open; stopped, neither is left open."""
    services = open_services(postgres_settings)
    trips: list[str] = []
    for name in ("_one_trip", "_one_trip_async"):
        monkeypatch.setattr(ProjectionDb, name, _counted(trips, name, getattr(ProjectionDb, name)))
    try:
        with acting_client(services) as outer:
            by = consultant(outer, "Gry Lyngbakke")
            body = {"cvr": "13748136", "name": "Glans ApS", "municipality": "165", "by": by}
            at = {"min_position": post(outer, "/companies", body)["position"]}
            assert outer.get("/companies/13748136", params=at).status_code == 200  # (one read)
            with acting_client(services) as inner:
                assert inner.get("/companies/13748136", params=at).status_code == 200
                assert len(services.views._apools) == 2
            assert outer.get("/companies/13748136", params=at).status_code == 200
            assert len(services.views._apools) == 1
        assert services.views._apools == {}
        # The first read of a process reads the registry first; then each from its loop.
        assert trips == ["_one_trip_async"] * 2
    finally:
        services.close()
