"""Property: the state from snapshots equals the full fold of the company's events."""

from __future__ import annotations

import dataclasses
import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from domain.values import company_id
from infra.settings import Settings
from projections.state import CompanyHistory
from services.http.container import Services
from services.read.db import SNAPSHOTS
from tests.support.api import contact, post
from tests.support.services import acting_client, open_services
from tests.support.state_oracle import fold_state
from tests.support.world import CVRS, NOW, World


def _business_days(events: list[Any]) -> list[date]:
    """Every business date in the events, the days around them, and far off."""
    days = {date(2000, 1, 1), date(2999, 1, 1), NOW.date()}
    for e in events:
        for value in vars(e).values():
            if isinstance(value, date):
                day = value.date() if isinstance(value, datetime) else value
                days |= {day - timedelta(days=1), day, day + timedelta(days=1)}
    return sorted(days)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(data=st.data(), every=st.integers(1, 5))
def test_state_from_snapshots_equals_the_full_fold(data: st.DataObject, every: int) -> None:
    """For every recording time and business date, snapshots change nothing but speed."""
    services = open_services(
        Settings(database_url="memory://", log_level="warning", state_snapshot_every=every)
    )
    try:
        client = acting_client(services)
        world = World(client)
        for _ in range(2):
            world.send(
                "POST",
                "/staff",
                {"name": "Gry Lyng", "municipality": "165", "unit": "job_centre"},
                "staff",
            )
        for cvr in CVRS:
            world.send(
                "POST",
                "/companies",
                {
                    "cvr": cvr,
                    "name": "Glans ApS",
                    "municipality": "165",
                    "by": world.ids["staff"][0],
                },
            )
        for _ in range(data.draw(st.integers(5, 50))):
            world.step(data)
        rng = random.Random(data.draw(st.integers(0, 2**32)))
        expected_snapshots = 0
        for cvr in CVRS:
            events: list[Any] = list(services.app.events.get(company_id(cvr)))
            expected_snapshots += len(events) // every
            days = _business_days(events)
            # Read at random recording times, in random order: each read may start from
            # snapshots that earlier reads wrote, and writes those it passes.
            for i in rng.sample(range(len(events)), len(events)):
                known = events[i].timestamp
                day = rng.choice(days)
                r = client.get(
                    f"/companies/{cvr}/state",
                    params={"known_at": known.isoformat(), "as_of": day.isoformat()},
                )
                assert r.status_code == 200, r.text
                expected = dataclasses.asdict(fold_state(events, known, day))
                body = r.json()
                assert {k: body[k] for k in expected} == expected
            # And every split: a snapshot after k events, stored and read back, continued.
            for k in range(len(events) + 1):
                history = CompanyHistory()
                for e in events[:k]:
                    history.apply(e)
                history = CompanyHistory.from_json(history.to_json())
                for e in events[k:]:
                    history.apply(e)
                for day in days:
                    assert history.at(day) == fold_state(events, events[-1].timestamp, day)
        stored = services.views.query(f"SELECT COUNT(*) FROM {SNAPSHOTS}")[0][0]
        assert stored == expected_snapshots  # one per `every` events, each written once
    finally:
        services.close()


@pytest.mark.stores
def test_a_later_read_folds_only_the_events_after_the_nearest_snapshot(
    client: TestClient,
    staff: str,
    registered: str,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a snapshot every 3 events, a read at version 7 starts from version 6."""
    services.snapshots.every = 3
    for n in range(6):
        post(client, f"/companies/{registered}/contacts", contact(staff, summary=f"c{n}"))
    assert client.get(f"/companies/{registered}/state").json()["version"] == 7
    asked: list[int | None] = []
    real = services.app.events.get

    def recording(stream: Any, gt: int | None = None) -> Any:
        asked.append(gt)
        return real(stream, gt=gt)

    monkeypatch.setattr(services.app.events, "get", recording)
    body = client.get(f"/companies/{registered}/state").json()
    assert (asked, body["version"], body["contacts"]) == ([6], 7, 6)
