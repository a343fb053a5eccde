"""Property: incremental processing, processing with restarts, and a rebuild agree."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.settings import Settings
from projections.overview import TOTALS
from projections.registry import PROJECTIONS
from services.http.container import Services
from services.read.runner import ProjectionRunner
from tests.conftest import acting_client, open_services

CVRS = ["13748136", "24256790"]
NOW = datetime.now(UTC).replace(microsecond=0)


class World:
    """Sends random commands and remembers the ids they answered with."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.ids: dict[str, list[str]] = {k: [] for k in (
            "staff", "contact", "opening", "referral", "placement", "follow_up")}
        self.last = 0

    def send(self, method: str, path: str, body: dict[str, Any], kind: str | None = None
             ) -> None:
        r = self.client.request(method, path, json=body)
        if r.status_code < 300:
            self.last = max(self.last, r.json()["position"])
            if kind and r.json().get("id"):
                self.ids[kind].append(r.json()["id"])

    def step(self, data: st.DataObject) -> None:
        """One random command, aimed mostly at things that exist."""

        def pick(kind: str) -> str:
            known: list[str] = self.ids[kind] or [str(uuid.uuid4())]
            return data.draw(st.sampled_from(known))

        by, cvr = pick("staff"), data.draw(st.sampled_from(CVRS))
        c = f"/companies/{cvr}"
        day = (NOW.date() - timedelta(days=data.draw(st.integers(0, 60)))).isoformat()
        moment = (NOW - timedelta(days=data.draw(st.integers(0, 60)))).isoformat()
        today = NOW.date().isoformat()
        kinds = ["ordinary", "flex_job", "wage_subsidy", "internship"]
        ops: dict[str, tuple[str, str, dict[str, Any], str | None]] = {
            "staff": ("POST", "/staff", {"name": data.draw(st.sampled_from(
                ["Ask Lyng", "Dagny Møller", "Edel Æbelø"])), "municipality": "165",
                "unit": "job_centre"}, "staff"),
            "register": ("POST", "/companies", {"cvr": cvr, "name": "Glans ApS",
                                                "municipality": "165", "by": by}, None),
            "assign": ("POST", f"{c}/contact-person",
                       {"staff_id": pick("staff"), "handover_note": "n", "by": by}, None),
            "contact": ("POST", f"{c}/contacts", {"by": by, "channel": "phone",
                                                  "occurred_at": moment, "summary": "s"},
                        "contact"),
            "correct": ("POST", f"{c}/contacts/{pick('contact')}/corrections", {
                "by": by, "channel": "visit", "occurred_at": moment, "summary": "t",
                "reason": "r"}, None),
            "opening": ("POST", f"{c}/openings", {"title": "H", "hours_per_week": 20,
                                                  "placement_kinds": kinds, "by": by},
                        "opening"),
            "close": ("POST", f"{c}/openings/{pick('opening')}/close", {"by": by}, None),
            "refer": ("POST", f"{c}/referrals", {"opening_id": pick("opening"),
                                                 "candidate_id": str(uuid.uuid4()),
                                                 "by": by}, "referral"),
            "answer": ("POST", f"{c}/referrals/{pick('referral')}/answer",
                       {"outcome": "hired", "answered_on": day, "by": by}, None),
            "place": ("POST", f"{c}/placements", {
                "candidate_id": str(uuid.uuid4()), "kind": data.draw(st.sampled_from(kinds)),
                "hours_per_week": 20, "starts_on": day, "by": by}, "placement"),
            "change": ("POST", f"{c}/placements/{pick('placement')}/changes", {
                "effective_on": today, "kind": "ordinary", "hours_per_week": 30, "by": by},
                None),
            "end": ("POST", f"{c}/placements/{pick('placement')}/end",
                    {"ends_on": today, "reason": "completed", "by": by}, None),
            "follow_up": ("POST", f"{c}/follow-ups", {"placement_id": pick("placement"),
                                                      "due_on": day, "by": by}, "follow_up"),
            "complete": ("POST", f"{c}/follow-ups/{pick('follow_up')}/complete",
                         {"held_on": today, "status": "at_risk", "by": by}, None),
            "commit": ("POST", f"{c}/commitments", {"description": "d", "target_hires": 2,
                                                    "by_date": today, "by": by}, None),
            "leave": ("POST", f"/staff/{pick('staff')}/leave", {"left_on": day}, None),
            "preference": ("PUT", f"{c}/contact-preference",
                           {"max_contacts_per_month": 3, "by": by}, None),
        }
        method, path, body, kind = ops[data.draw(st.sampled_from(sorted(ops)))]
        self.send(method, path, body, kind)


def _random_commands(services: Services, data: st.DataObject) -> None:
    """Three staff members, then 5-60 random commands, processed by the read models."""
    world = World(acting_client(services))
    for _ in range(3):
        world.send("POST", "/staff", {"name": "Gry Lyng", "municipality": "165",
                                      "unit": "job_centre"}, "staff")
    for _ in range(data.draw(st.integers(5, 60))):
        world.step(data)
    assert services.projections is not None
    assert services.projections.wait_for(world.last, 10)


def _tables(services: Services, prefix: str, cls: Any) -> dict[str, Any]:
    return {t: services.views.query(f"SELECT * FROM {prefix}{t} ORDER BY 1, 2")
            for t in cls.table_names()}


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
                runner = ProjectionRunner(services.app, services.views, restarted, 200 + n,
                                          position, batch_size=data.draw(st.integers(1, 7)))
                if not runner.run_batch():
                    break
                position = runner.position
            assert _tables(services, whole.prefix, cls) == incremental
            assert _tables(services, restarted.prefix, cls) == incremental
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
        counted = (f"SELECT c.{', c.'.join(TOTALS)}, "
                   f"(SELECT COUNT(*) FROM {o}holders x WHERE x.company_id = c.company_id), "
                   f"(SELECT COUNT(*) FROM {o}openings x WHERE x.company_id = c.company_id "
                   "AND x.open = 1), "
                   f"(SELECT COUNT(*) FROM {o}referrals x WHERE x.company_id = c.company_id "
                   "AND x.outcome IS NULL), "
                   f"(SELECT COUNT(*) FROM {o}placements x WHERE x.company_id = c.company_id "
                   "AND x.ended_on IS NULL), "
                   f"(SELECT COUNT(*) FROM {o}commitments x "
                   f"WHERE x.company_id = c.company_id) FROM {o}companies c")
        for row in services.views.query(counted):
            assert row[:len(TOTALS)] == row[len(TOTALS):]
    finally:
        services.close()
