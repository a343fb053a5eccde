"""A rebuild (cheap decoding, batches written by a second thread) gives exactly the rows
that the incremental workers gave, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.cli.demo import load_demo
from services.cli.demo_people import enrolment
from services.http.container import Services
from services.read import rebuild as rebuild_module
from services.read.db import prefix_of
from services.read.rebuild import rebuild_all
from tests.support.services import acting_client
from tests.support.tokens import acting_token


def live_generation(services: Services) -> int:
    """The overview's active generation."""
    [(generation,)] = services.views.query(
        "SELECT generation FROM casebook_projections WHERE name = 'overview' AND active = 1"
    )
    return int(generation)


@pytest.mark.parametrize("processes", [1, 2])
def test_rebuilt_views_of_the_demo_equal_the_incremental_ones(
    services: Services, processes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the demo's log (every kind of event), each rebuilt table equals the live one;
    also with the log split between two processes (PostgreSQL: on SQLite a
    rebuild stays in one process)."""
    monkeypatch.setattr(rebuild_module, "SPLIT_FROM", 0)
    client = acting_client(services)

    def post(path: str, body: dict[str, Any], method: str = "POST") -> dict[str, Any]:
        token = acting_token(services.settings, method, path, body)
        r = client.request(method, path, json=body, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code < 300, r.text
        answer: dict[str, Any] = r.json()
        return answer

    load_demo(
        services.committer.submit,
        enrolment(services),
        services.clock,
        date.today(),
        lambda done, total: None,
    )
    assert services.projections is not None  # the demo's companies in the overview first
    assert services.projections.wait_for(services.app.last_position(), 60)
    # Contacts with offsets other than UTC's (a rebuild handles datetimes as their text).
    [(cvr, staff)] = services.views.query(
        f"SELECT c.cvr, c.contact_person FROM {prefix_of('overview', live_generation(services))}"
        "companies c WHERE c.contact_person IS NOT NULL ORDER BY c.cvr LIMIT 1"
    )
    for moment in (
        "2026-03-29T01:59:59.500001+02:00",
        "2025-12-31T23:00:00-05:30",
        "2026-06-01T12:00:00+00:50",
    ):
        logged = post(
            f"/companies/{cvr}/contacts",
            {"by": staff, "channel": "phone", "summary": "offset", "occurred_at": moment},
        )
        post(
            f"/companies/{cvr}/contacts/{logged['id']}/corrections",
            {
                "by": staff,
                "channel": "email",
                "summary": "offset, corrected",
                "occurred_at": moment,
                "reason": "channel",
            },
        )
    head = services.app.last_position()
    assert services.projections.wait_for(head, 60)
    live = {
        r.projection.name: (type(r.projection), r.generation) for r in services.projections.runners
    }
    reported: list[int] = []
    rebuilt = rebuild_all(
        services.app,
        services.views,
        list(live),
        reported.append,
        batch_size=97,
        processes=processes,
    )
    assert reported[-1] == head
    assert {r.name: r.position for r in rebuilt} == dict.fromkeys(live, head)
    rows = 0
    for r in rebuilt:
        cls, generation = live[r.name]
        for table in cls.table_names():
            ordered = f"SELECT * FROM {{}}{table} ORDER BY 1, 2"
            new = services.views.query(ordered.format(prefix_of(r.name, r.generation)))
            old = services.views.query(ordered.format(prefix_of(r.name, generation)))
            # Rows equal on the first two columns come in either order.
            assert sorted(new, key=repr) == sorted(old, key=repr), f"{r.name}.{table}"
            rows += len(new)
            if services.views.copies and new:  # PostgreSQL: the planner has statistics
                assert services.views.query(
                    "SELECT COUNT(*) FROM pg_stats WHERE schemaname = current_schema() "
                    "AND tablename = %s",
                    (f"{prefix_of(r.name, r.generation)}{table}",),
                ) != [(0,)], f"{r.name}.{table} not analyzed"
    assert rows > head  # (a timeline row per company event, and the other views' rows)
