"""Property: incremental processing, processing with restarts, and a rebuild agree: in
their rows, and in what the reads choose from those rows (every ordering is total)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.values import company_id
from infra.settings import Settings
from projections.overview import TOTALS, OverviewProjection
from projections.overview.company import LISTS, CompanyStatements
from projections.registry import PROJECTIONS
from services.http.container import Services
from services.read.db import prefix_of
from services.read.runner import ProjectionRunner
from tests.support.services import acting_client, open_services
from tests.support.world import CVRS, NOW, World


def _random_commands(services: Services, data: st.DataObject) -> None:
    """Three staff members, then 5-60 random commands, processed by the read models."""
    world = World(acting_client(services))
    for _ in range(3):
        world.send(
            "POST",
            "/staff",
            {"name": "Gry Lyng", "municipality": "165", "unit": "job_centre"},
            "staff",
        )
    for _ in range(data.draw(st.integers(5, 60))):
        world.step(data)
    assert services.projections is not None
    assert services.projections.wait_for(world.last, 10)


def _tables(services: Services, prefix: str, cls: Any) -> dict[str, Any]:
    return {
        t: services.views.query(f"SELECT * FROM {prefix}{t} ORDER BY 1, 2")
        for t in cls.table_names()
    }


def _active_prefix(services: Services, name: str) -> str:
    active = services.views.active_generation(name)
    assert active is not None
    return prefix_of(name, active[0])


def _overview_reads(services: Services, overview: str) -> list[Any]:
    """What each company's overview reads from these overview tables: its last contact,
    its holders and every list, in the order the reads give them."""
    d, k = (_active_prefix(services, name) for name in ("directory", "candidates"))
    answers: list[Any] = []
    for cvr in CVRS:
        q = CompanyStatements(overview, d, k, str(company_id(cvr)), NOW.date())
        statements = [q.last_contact(), q.holders(50), *(q.entries(n, 50) for n in LISTS)]
        answers += [services.views.query(sql, params) for sql, params in statements]
    return answers


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_incremental_restarted_and_rebuilt_views_agree(data: st.DataObject) -> None:
    """Random command sequences give the same rows however the log is processed."""
    services = open_services(Settings(database_url="memory://", log_level="warning"))
    try:
        _random_commands(services, data)
        for n, cls in enumerate(PROJECTIONS):
            live = services.views.active_generation(cls.name)
            assert live is not None
            incremental = _tables(services, f"view_{cls.name}_g{live[0]}_", cls)
            whole = services.views.start_generation(cls, 100 + n, active=False)
            ProjectionRunner(services.app, services.views, whole, 100 + n, 0).catch_up()
            restarted = services.views.start_generation(cls, 200 + n, active=False)
            position = 0
            while True:  # a new runner (a restart) for every small batch
                runner = ProjectionRunner(
                    services.app,
                    services.views,
                    restarted,
                    200 + n,
                    position,
                    batch_size=data.draw(st.integers(1, 7)),
                )
                if not runner.run_batch():
                    break
                position = runner.position
            assert _tables(services, whole.prefix, cls) == incremental
            assert _tables(services, restarted.prefix, cls) == incremental
            if cls is OverviewProjection:  # and what its reads choose, in their order
                answers = _overview_reads(services, f"view_{cls.name}_g{live[0]}_")
                assert _overview_reads(services, whole.prefix) == answers
                assert _overview_reads(services, restarted.prefix) == answers
    finally:
        services.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_overviews_stored_totals_equal_counting_its_rows(data: st.DataObject) -> None:
    """After random commands, each company's counters equal what its rows count."""
    services = open_services(Settings(database_url="memory://", log_level="warning"))
    try:
        _random_commands(services, data)
        live = services.views.active_generation("overview")
        assert live is not None
        o = f"view_overview_g{live[0]}_"
        counted = (
            f"SELECT c.{', c.'.join(TOTALS)}, "
            f"(SELECT COUNT(*) FROM {o}holders x WHERE x.company_id = c.company_id), "
            f"(SELECT COUNT(*) FROM {o}openings x WHERE x.company_id = c.company_id "
            "AND x.open = 1), "
            f"(SELECT COUNT(*) FROM {o}referrals x WHERE x.company_id = c.company_id "
            "AND x.outcome IS NULL), "
            f"(SELECT COUNT(*) FROM {o}placements x WHERE x.company_id = c.company_id "
            "AND x.ended_on IS NULL), "
            f"(SELECT COUNT(*) FROM {o}commitments x "
            f"WHERE x.company_id = c.company_id) FROM {o}companies c"
        )
        for row in services.views.query(counted):
            assert row[: len(TOTALS)] == row[len(TOTALS) :]
    finally:
        services.close()
