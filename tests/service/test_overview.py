"""The one-contact-person overview of a company."""

from __future__ import annotations

import inspect
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from projections.overview import OverviewProjection
from projections.registry import PROJECTIONS
from services.http.container import Services
from services.read.db import ProjectionDb, create_views, prefix_of
from services.read.runner import ProjectionRunner
from tests.support.api import assert_problem, consultant, contact, post
from tests.support.services import new_candidate

pytestmark = pytest.mark.stores  # rerun on SQLite and PostgreSQL by `make integration`

NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()


def _overview(client: TestClient, cvr: str, position: int) -> dict[str, Any]:
    r = client.get(f"/companies/{cvr}", params={"min_position": position})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_handover_history_survives_the_first_contact_person_leaving(
    client: TestClient,
    staff: str,
    registered: str,
) -> None:
    """The current contact person, and before them the one who left, with the note."""
    heir = consultant(client, "Ingrid Havgaard")
    c = f"/companies/{registered}/contact-person"
    post(client, c, {"staff_id": staff, "reason": "first", "by": staff})
    post(client, f"/staff/{staff}/leave", {"left_on": TODAY.isoformat()})
    last = post(
        client,
        c,
        {"staff_id": heir, "reason": "left", "by": heir, "handover_note": "Calls before 10"},
    )["position"]
    o = _overview(client, registered, last)
    assert o["contact_person"]["person"]["name"] == "Ingrid Havgaard"
    assert o["contact_person"]["handover_note"] == "Calls before 10"
    assert o["contact_person"]["previous"] == {
        "id": staff,
        "name": "Gry Lyngbakke",
        "left": True,
        "unit": "job_centre",
    }
    assert [h["person"]["left"] for h in o["earlier_contact_persons"]] == [True]


def test_the_contact_person_and_the_timeline_actor_give_their_unit(
    client: TestClient,
    registered: str,
) -> None:
    """The contact person's unit stands beside name and since, and each timeline entry's
    actor gives theirs: a contracted provider's consultant as such."""
    provider = post(
        client,
        "/staff",
        {"name": "Pia Vestergaard", "municipality": "165", "unit": "contracted_provider"},
    )["id"]
    c = f"/companies/{registered}/contact-person"
    last = post(client, c, {"staff_id": provider, "reason": "first", "by": provider})["position"]
    holder = _overview(client, registered, last)["contact_person"]
    assert holder["person"] == {
        "id": provider,
        "name": "Pia Vestergaard",
        "left": False,
        "unit": "contracted_provider",
    }
    assert holder["since"]
    r = client.get(f"/companies/{registered}/timeline", params={"min_position": last})
    assert r.status_code == 200, r.text
    assert r.json()["entries"][0]["actor"]["unit"] == "contracted_provider"


def test_of_contacts_at_one_time_the_one_logged_last_is_the_last_contact(
    client: TestClient,
    staff: str,
    registered: str,
) -> None:
    """Two contacts of the same business time: the last contact is the one logged last,
    whoever logged them (the rows' order in the database decides nothing)."""
    other = consultant(client, "Holger Mosekilde")
    high, low = sorted([staff, other], reverse=True)  # ties were broken by the person
    moment = (NOW - timedelta(hours=1)).isoformat()
    c = f"/companies/{registered}/contacts"
    post(client, c, contact(high, occurred_at=moment, summary="logged first"))
    last = post(client, c, contact(low, occurred_at=moment, summary="logged last"))["position"]
    assert _overview(client, registered, last)["last_contact"]["summary"] == "logged last"
    later = post(client, c, contact(high, occurred_at=moment, summary="logged third"))
    assert _overview(client, registered, later["position"])["last_contact"]["summary"] == (
        "logged third"
    )


def test_migrate_adds_a_column_a_later_release_needs_to_a_running_generation(
    services: Services,
) -> None:
    """A generation made before the contacts' `position` column gets it from migrate,
    and its rows without one are still read."""
    active = services.views.active_generation("overview")
    assert active is not None
    table = f"{prefix_of('overview', active[0])}contacts"
    with services.views.transaction() as sql:
        sql.execute(f"ALTER TABLE {table} DROP COLUMN position")
        assert not services.views.has_column(sql, table, "position")
    create_views(services.views)
    with services.views.transaction() as sql:
        assert services.views.has_column(sql, table, "position")


def test_too_many_contacts_by_too_many_people_raise_a_coordination_warning(
    client: TestClient,
    staff: str,
    registered: str,
) -> None:
    """Contacts over the company's own monthly cap, from several people, are flagged."""
    others = [consultant(client, n) for n in ("Ulla Bakkedal", "Leif Mosekilde")]
    post(
        client,
        f"/companies/{registered}/contact-person",
        {"staff_id": staff, "reason": "first", "by": staff},
    )
    r = client.put(
        f"/companies/{registered}/contact-preference",
        json={"max_contacts_per_month": 2, "by": staff},
    )
    assert r.status_code == 200
    last = 0
    for who, days in ((staff, 2), (others[0], 10), (others[1], 20), (staff, 45)):
        when = (NOW - timedelta(days=days)).isoformat()
        last = post(client, f"/companies/{registered}/contacts", contact(who, occurred_at=when))[
            "position"
        ]
    coordination = _overview(client, registered, last)["coordination"]
    assert coordination == {
        "contacts_7_days": 1,
        "contacts_30_days": 3,
        "distinct_actors_30_days": 3,
        "from_others_30_days": 2,
        "cap_per_month": 2,
        "cap_is_companys_own": True,
        "warning": "3 contacts in 30 days from 3 people: more than its own cap of 2 a month",
    }


def test_work_in_progress_is_listed(client: TestClient, staff: str, registered: str) -> None:
    """Open openings, referrals awaiting an answer, placements and their follow-ups."""
    c = f"/companies/{registered}"
    opening = post(
        client,
        f"{c}/openings",
        {"title": "Helper", "hours_per_week": 20, "placement_kinds": ["ordinary"], "by": staff},
    )["id"]
    closed = post(
        client,
        f"{c}/openings",
        {"title": "Old", "hours_per_week": 20, "placement_kinds": ["ordinary"], "by": staff},
    )["id"]
    post(client, f"{c}/openings/{closed}/close", {"by": staff})
    waiting = post(
        client,
        f"{c}/referrals",
        {
            "opening_id": opening,
            "candidate_id": new_candidate(client, registered, staff),
            "by": staff,
            "health_clarified_on": TODAY.isoformat(),
        },
    )["id"]
    placement = post(
        client,
        f"{c}/placements",
        {
            "candidate_id": new_candidate(client, registered, staff),
            "kind": "flex_job",
            "hours_per_week": 15,
            "starts_on": (TODAY - timedelta(days=60)).isoformat(),
            "by": staff,
        },
    )["id"]
    overdue = post(
        client,
        f"{c}/follow-ups",
        {"placement_id": placement, "due_on": (TODAY - timedelta(days=3)).isoformat(), "by": staff},
    )["id"]
    last = post(
        client,
        f"{c}/follow-ups",
        {"placement_id": placement, "due_on": (TODAY + timedelta(days=5)).isoformat(), "by": staff},
    )
    o = _overview(client, registered, last["position"])
    assert [x["opening_id"] for x in o["open_openings"]] == [opening]
    assert [
        (x["referral_id"], x["health_clarified"], x["motivation_clarified"])
        for x in o["referrals_in_flight"]
    ] == [(waiting, True, False)]
    [running] = o["in_placement"]
    assert (running["placement_id"], running["kind"], running["next_follow_up"]) == (
        placement,
        "flex_job",
        (TODAY - timedelta(days=3)).isoformat(),
    )
    assert [x["follow_up_id"] for x in o["follow_ups_overdue"]] == [overdue]
    assert [x["follow_up_id"] for x in o["follow_ups_due"]] == [last["id"]]


def test_an_unknown_company_has_no_overview(client: TestClient) -> None:
    """A valid CVR nobody registered is 404; a malformed one 422."""
    assert_problem(client.get("/companies/24256790"), 404, "24256790")
    assert_problem(client.get("/companies/2425679"), 422, "8 digits")


def test_long_lists_show_their_first_entries_and_totals_and_page_through_the_rest(
    client: TestClient,
    staff: str,
    registered: str,
) -> None:
    """With `items=2`, three placements show the newest two, a total of 3, and the list
    route gives all three in the same order."""
    c = f"/companies/{registered}"
    ids, last = [], 0
    for days in (30, 20, 10):
        answer = post(
            client,
            f"{c}/placements",
            {
                "candidate_id": new_candidate(client, registered, staff),
                "kind": "ordinary",
                "hours_per_week": 30,
                "starts_on": (TODAY - timedelta(days=days)).isoformat(),
                "by": staff,
            },
        )
        ids.append(answer["id"])
        last = answer["position"]
    r = client.get(c, params={"min_position": last, "items": 2})
    assert r.status_code == 200, r.text
    o = r.json()
    assert [x["placement_id"] for x in o["in_placement"]] == [ids[2], ids[1]]
    assert (o["totals"]["in_placement"], o["totals"]["open_openings"]) == (3, 0)
    pages = [
        client.get(
            f"{c}/overview/in_placement",
            params={"offset": offset, "limit": 2, "min_position": last},
        ).json()
        for offset in (0, 2)
    ]
    assert [p["total"] for p in pages] == [3, 3]
    assert [x["placement_id"] for p in pages for x in p["entries"]] == [ids[2], ids[1], ids[0]]


def test_an_overview_list_of_an_unknown_company_or_list_is_refused(
    client: TestClient,
    registered: str,
) -> None:
    """404 for a company nobody registered, 422 for a list the overview does not have."""
    assert_problem(client.get("/companies/24256790/overview/in_placement"), 404, "24256790")
    r = client.get(f"/companies/{registered}/overview/salaries")
    assert r.status_code == 422


def test_follow_ups_due_and_overdue_are_totalled_as_scheduled_and_completed(
    client: TestClient,
    staff: str,
    registered: str,
    services: Services,
) -> None:
    """The totals come from the open follow-ups per due date (a summary the overview
    counts again for each company a batch touched): several on one day, completed ones
    gone; the summary is what counting the follow-ups gives; an upgrade that brings the
    summary to a read model that has none fills it."""
    c = f"/companies/{registered}"
    placement = post(
        client,
        f"{c}/placements",
        {
            "candidate_id": new_candidate(client, registered, staff),
            "kind": "ordinary",
            "hours_per_week": 30,
            "starts_on": (TODAY - timedelta(days=30)).isoformat(),
            "by": staff,
        },
    )["id"]
    due: dict[int, list[str]] = {}
    for days in (-3, -3, 0, 5, 5, 20):
        due.setdefault(days, []).append(
            post(
                client,
                f"{c}/follow-ups",
                {
                    "placement_id": placement,
                    "due_on": (TODAY + timedelta(days=days)).isoformat(),
                    "by": staff,
                },
            )["id"]
        )
    last = 0
    for follow_up in (due[-3][0], due[0][0]):
        last = post(
            client,
            f"{c}/follow-ups/{follow_up}/complete",
            {"held_on": TODAY.isoformat(), "status": "on_track", "by": staff},
        )["position"]

    def totals() -> tuple[int, int, int, int]:
        o = _overview(client, registered, last)
        pages = [
            client.get(f"{c}/overview/{name}", params={"min_position": last}).json()
            for name in ("follow_ups_overdue", "follow_ups_due")
        ]
        return (
            o["totals"]["follow_ups_overdue"],
            o["totals"]["follow_ups_due"],
            *(page["total"] for page in pages),
        )

    assert totals() == (1, 2, 1, 2)
    active = services.views.active_generation("overview")
    assert active is not None
    o = prefix_of("overview", active[0])
    counted = services.views.query(
        f"SELECT company_id, due_on, COUNT(*) FROM {o}follow_ups WHERE status IS NULL "
        "GROUP BY company_id, due_on ORDER BY 1, 2"
    )
    assert services.views.query(f"SELECT * FROM {o}open_follow_ups ORDER BY 1, 2") == counted
    assert [n for _, _, n in counted] == [1, 2, 1]  # 3 days ago, in 5 and in 20
    with services.views.transaction() as sql:  # as a generation made before summaries
        sql.execute(f"DROP TABLE {o}open_follow_ups")
    create_views(services.views)
    assert services.views.query(f"SELECT * FROM {o}open_follow_ups ORDER BY 1, 2") == counted
    assert totals() == (1, 2, 1, 2)
    # A worker of an earlier release kept it otherwise meanwhile: a new worker's runner
    # counts it whole before its first batch.
    with services.views.transaction() as sql:
        sql.execute(f"UPDATE {o}open_follow_ups SET follow_ups = 7")
    runner = ProjectionRunner.for_active(services.app, services.views, OverviewProjection)
    runner.run_batch()
    assert services.views.query(f"SELECT * FROM {o}open_follow_ups ORDER BY 1, 2") == counted


def test_a_summary_is_counted_again_for_every_event_that_changes_what_it_counts() -> None:
    """Each handler that writes a table a summary counts is among the summary's kinds
    (else the summary would drift from the rows until a rebuild)."""
    for cls in PROJECTIONS:
        for summary in cls.summaries:
            counted = set(re.findall(r"\{t\}(\w+)", summary.select))
            writers = {
                kind
                for kind, handler in cls.handlers.items()
                if any(f"self.t('{table}')" in inspect.getsource(handler) for table in counted)
            }
            assert writers and writers == summary.kinds, (cls.name, summary.table)


def test_a_lost_database_is_a_503_that_names_no_host(
    client: TestClient,
    registered: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The read models' database gone (psycopg's error, a pool's timeout too) answers
    503 with a retryable problem, not a 500, and says nothing of the server."""

    async def lost(*args: Any) -> Any:
        raise psycopg.OperationalError("connection to server at 10.0.0.7 failed")

    monkeypatch.setattr(ProjectionDb, "read_once_async", lost)
    r = client.get(f"/companies/{registered}")
    assert_problem(r, 503, "")
    assert r.json()["title"] == "Database unavailable" and "10.0.0.7" not in r.text
