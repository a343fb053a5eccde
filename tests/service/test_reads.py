"""Search and the timeline, read through the projections (read-your-writes).

Marked `stores`: `make integration` reruns them on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

import services.http.reading as reads_module
from services.http.auth import Role, mint_token
from services.http.container import Services
from services.read.db import prefix_of
from services.read.rebuild import rebuild, rebuild_all
from services.read.runner import ProjectionRunner
from tests.support.api import CVR, assert_problem, contact, post
from tests.support.services import new_candidate

pytestmark = pytest.mark.stores  # rerun on SQLite and PostgreSQL by `make integration`

NOW = datetime.now(UTC).replace(microsecond=0)


def _timeline(client: TestClient, position: int, **params: Any) -> dict[str, Any]:
    r = client.get(f"/companies/{CVR}/timeline", params={"min_position": position, **params})
    assert r.status_code == 200, r.text
    page: dict[str, Any] = r.json()
    return page


def test_the_timeline_shows_a_new_contact_at_once(
    client: TestClient, staff: str, registered: str
) -> None:
    """Read with the command's position, the new contact is the newest entry."""
    answer = post(client, f"/companies/{registered}/contacts", contact(staff))
    page = _timeline(client, answer["position"])
    first = page["entries"][0]
    assert (first["kind"], first["position"], first["data"]["summary"]) == (
        "contact_logged",
        answer["position"],
        "Talked about an opening",
    )
    assert first["actor"] == {
        "id": staff,
        "name": "Gry Lyngbakke",
        "left": False,
        "unit": "job_centre",
    }
    assert [e["kind"] for e in page["entries"]] == ["contact_logged", "registered"]


def test_names_stay_after_people_leave(client: TestClient, staff: str, registered: str) -> None:
    """A consultant who left is still named in the company's history."""
    post(client, f"/companies/{registered}/contacts", contact(staff))
    answer = post(client, f"/staff/{staff}/leave", {"left_on": NOW.date().isoformat()})
    page = _timeline(client, answer["position"])
    assert page["entries"][0]["actor"] == {
        "id": staff,
        "name": "Gry Lyngbakke",
        "left": True,
        "unit": "job_centre",
    }


def test_a_correction_shows_what_it_replaced(
    client: TestClient, staff: str, registered: str
) -> None:
    """The correction entry carries the contact as first logged."""
    logged = post(client, f"/companies/{registered}/contacts", contact(staff, summary="wrong"))
    fixed = post(
        client,
        f"/companies/{registered}/contacts/{logged['id']}/corrections",
        contact(staff, summary="right", reason="typo"),
    )
    entry = _timeline(client, fixed["position"])["entries"][0]
    assert (entry["kind"], entry["data"]["summary"]) == ("contact_corrected", "right")
    assert entry["replaces"]["summary"] == "wrong"


def test_pages_cover_the_timeline_once_newest_first(
    client: TestClient, staff: str, registered: str
) -> None:
    """Following next_cursor visits every entry exactly once, in descending position."""
    last = 0
    for n in range(7):
        last = post(
            client, f"/companies/{registered}/contacts", contact(staff, summary=f"call {n}")
        )["position"]
    seen: list[int] = []
    cursor = None
    while True:
        page = _timeline(client, last, limit=3, **({"cursor": cursor} if cursor else {}))
        seen += [e["position"] for e in page["entries"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen)) == 8


def test_filters_by_kind_actor_and_business_date(
    client: TestClient, staff: str, registered: str
) -> None:
    """kind, actor and from/to (business dates) narrow the timeline."""
    other: str = post(
        client, "/staff", {"name": "Ole Engdahl", "municipality": "165", "unit": "business_unit"}
    )["id"]
    old = (NOW - timedelta(days=40)).isoformat()
    post(client, f"/companies/{registered}/contacts", contact(staff, occurred_at=old))
    last = post(client, f"/companies/{registered}/contacts", contact(other))["position"]
    by_other = _timeline(client, last, actor=other)["entries"]
    assert [e["actor"]["name"] for e in by_other] == ["Ole Engdahl"]
    recent = _timeline(
        client,
        last,
        kind="contact_logged",
        **{"from": (NOW - timedelta(days=7)).date().isoformat()},
    )["entries"]
    assert [e["actor"]["id"] for e in recent] == [other]
    early = _timeline(client, last, to=(NOW - timedelta(days=30)).date().isoformat())
    assert [e["occurred_at"][:10] for e in early["entries"]] == [old[:10]]


def test_an_unknown_or_malformed_company_has_no_timeline(client: TestClient) -> None:
    """404 for a valid CVR nobody registered, 422 for a malformed one."""
    assert_problem(client.get("/companies/24256790/timeline"), 404, "24256790")
    assert_problem(client.get("/companies/24256791/timeline"), 422, "modulus-11")


def test_search_by_cvr_or_name_ignores_case_and_danish_letters(
    client: TestClient,
    staff: str,
) -> None:
    """København, kobenhavn and KOEBENHAVN find the same company; CVR finds it too."""
    answer = post(
        client,
        "/companies",
        {"cvr": CVR, "name": "Københavns Glarmester ApS", "municipality": "165", "by": staff},
    )
    for q in ("København", "kobenhavn", "KOEBENHAVN", "glarm", "DK 1374 8136"):
        r = client.get("/companies", params={"q": q, "min_position": answer["position"]})
        assert [hit["cvr"] for hit in r.json()] == [CVR], q
    none = client.get("/companies", params={"q": "bager", "min_position": answer["position"]})
    assert none.json() == []


@pytest.mark.stores
def test_search_finds_a_name_whatever_mix_of_spellings_is_typed(
    client: TestClient, staff: str
) -> None:
    """Æblegård is found by aeblegaard, aeblegard, ablegaard, ablegard and AEBLEGARD: each
    letter spelled either way, in any mix (aeblegard and ablegaard missed); and a name
    with none of the letters is not found by them."""
    answer = post(
        client,
        "/companies",
        {"cvr": CVR, "name": "Æblegård Frugt ApS", "municipality": "165", "by": staff},
    )
    at = answer["position"]
    for q in ("Æblegård", "aeblegaard", "aeblegard", "ablegaard", "ablegard", "AEBLEGARD", "blegå"):
        r = client.get("/companies", params={"q": q, "min_position": at})
        assert [hit["cvr"] for hit in r.json()] == [CVR], q
    for q in ("oeblegard", "æblegården"):
        assert client.get("/companies", params={"q": q, "min_position": at}).json() == [], q


def test_a_rebuilt_directory_finds_a_name_by_a_mixed_spelling(
    client: TestClient, staff: str, services: Services
) -> None:
    """The folding is the directory's handler's: a rebuild from zero keeps it."""
    at = post(
        client,
        "/companies",
        {"cvr": CVR, "name": "Æblegård Frugt ApS", "municipality": "165", "by": staff},
    )["position"]
    assert services.projections is not None
    assert services.projections.wait_for(at, 5)
    runner = rebuild(services.app, services.views, "directory", lambda _: None)
    assert services.views.active_generation("directory") == (runner.generation, at)
    r = client.get("/companies", params={"q": "ablegaard", "min_position": at})
    assert [hit["cvr"] for hit in r.json()] == [CVR]


def test_search_is_scoped_by_municipality(client: TestClient, staff: str) -> None:
    """municipality= keeps only that municipality's companies."""
    post(
        client, "/companies", {"cvr": CVR, "name": "Glans ApS", "municipality": "165", "by": staff}
    )
    last = post(
        client,
        "/companies",
        {"cvr": "24256790", "name": "Glans Nord ApS", "municipality": "147", "by": staff},
    )["position"]
    r = client.get("/companies", params={"q": "glans", "municipality": "147", "min_position": last})
    assert [hit["cvr"] for hit in r.json()] == ["24256790"]


def test_a_position_beyond_the_log_is_409_without_waiting(
    client: TestClient,
    registered: str,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Asking for a position no event has answers 409 with a clear detail at once: no
    command answered it, so waiting for it cannot help (it waited the whole 5 s)."""
    assert services.projections is not None
    waits: list[int] = []

    async def recording(position: int, names: tuple[str, ...], timeout: float) -> bool:
        waits.append(position)
        return False

    monkeypatch.setattr(services.projections, "wait_async", recording)
    r = client.get(f"/companies/{registered}/timeline", params={"min_position": 10**9})
    assert_problem(r, 409, "beyond the newest event in the log")
    assert waits == []


def test_a_read_model_that_stays_behind_is_503_naming_it(
    client: TestClient,
    staff: str,
    registered: str,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A view whose runner cannot move on answers 503 naming that view, not the others."""
    monkeypatch.setattr(reads_module, "MIN_POSITION_WAIT_SECONDS", 0.3)
    assert services.projections is not None
    broken = next(r for r in services.projections.runners if r.projection.name == "overview")
    broken.run_batch = lambda: 0  # type: ignore[method-assign]

    def stuck(*_: object) -> None:
        raise RuntimeError("stuck")

    broken.apply = stuck  # type: ignore[method-assign,assignment]  # nor together
    answer = post(client, f"/companies/{registered}/contacts", contact(staff))
    r = client.get(f"/companies/{registered}", params={"min_position": answer["position"]})
    assert_problem(r, 503, f"the overview view has not reached position {answer['position']}")


def test_the_views_of_a_read_share_one_wait(
    client: TestClient,
    registered: str,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The overview joins three read models and waits once for all, within one deadline."""
    assert services.projections is not None
    calls: list[tuple[int, tuple[str, ...], float]] = []
    real = services.projections.wait_async

    async def recording(position: int, names: tuple[str, ...], timeout: float) -> bool:
        calls.append((position, tuple(names), timeout))
        return await real(position, names, timeout)

    monkeypatch.setattr(services.projections, "wait_async", recording)
    real_reached, checks = services.projections.reached, []

    def not_at_first(position: int, names: Iterable[str] | None = None) -> bool:
        checks.append(position)  # the first look finds the views behind, so the read waits
        return len(checks) > 1 and real_reached(position, names)

    monkeypatch.setattr(services.projections, "reached", not_at_first)
    head = services.app.last_position()
    assert client.get(f"/companies/{registered}", params={"min_position": head}).status_code == 200
    assert calls == [
        (head, ("overview", "directory", "candidates"), reads_module.MIN_POSITION_WAIT_SECONDS)
    ]


def test_a_rebuild_from_zero_equals_the_incremental_view(
    client: TestClient,
    staff: str,
    registered: str,
    services: Services,
) -> None:
    """Processing the log again into a new generation gives identical rows."""
    logged = post(client, f"/companies/{registered}/contacts", contact(staff))
    post(
        client,
        f"/companies/{registered}/contacts/{logged['id']}/corrections",
        contact(staff, reason="typo"),
    )
    last = post(client, f"/staff/{staff}/leave", {"left_on": NOW.date().isoformat()})
    assert services.projections is not None
    assert services.projections.wait_for(last["position"], 5)
    for runner in services.projections.runners:
        cls = type(runner.projection)
        fresh = services.views.start_generation(cls, 99 + len(cls.name), active=False)
        ProjectionRunner(
            services.app, services.views, fresh, 99 + len(cls.name), 0, batch_size=2
        ).catch_up()
        for table in cls.table_names():
            old = services.views.query(
                f"SELECT * FROM {prefix_of(cls.name, runner.generation)}{table} ORDER BY 1, 2"
            )
            new = services.views.query(f"SELECT * FROM {fresh.prefix}{table} ORDER BY 1, 2")
            assert new == old, table


def test_readyz_and_metrics_show_each_read_model_and_its_lag(
    client: TestClient,
    staff: str,
    registered: str,
    services: Services,
) -> None:
    """Positions and lag per read model, in /readyz and in Prometheus format."""
    answer = post(client, f"/companies/{registered}/contacts", contact(staff))
    assert services.projections is not None
    assert services.projections.wait_for(answer["position"], 5)
    ready = client.get("/readyz").json()
    views = {v["name"]: v for v in ready["views"]}
    assert set(views) == {"directory", "overview", "timeline", "candidates", "notices"}
    assert views["timeline"]["position"] == answer["position"]
    assert views["timeline"]["lag"] == 0
    service = mint_token(services.settings, subject="scraper", role=Role.SERVICE, municipalities=[])
    text = client.get("/metrics", headers={"Authorization": f"Bearer {service}"}).text
    assert 'casebook_view_lag{view="timeline"} 0.0' in text
    assert f"casebook_log_position {float(answer['position'])}" in text


def test_a_rebuild_swaps_in_while_the_runner_keeps_following(
    client: TestClient,
    staff: str,
    registered: str,
    services: Services,
) -> None:
    """After `rebuild timeline`, new work appears in the new generation's timeline."""
    first = post(client, f"/companies/{registered}/contacts", contact(staff, summary="one"))
    assert services.projections is not None
    assert services.projections.wait_for(first["position"], 5)
    runner = rebuild(services.app, services.views, "timeline", lambda _: None)
    assert services.views.active_generation("timeline") == (runner.generation, first["position"])
    second = post(client, f"/companies/{registered}/contacts", contact(staff, summary="two"))
    page = _timeline(client, second["position"])
    assert [e["data"].get("summary") for e in page["entries"][:2]] == ["two", "one"]


def test_like_wildcards_in_a_search_match_only_themselves(
    client: TestClient,
    registered: str,
    services: Services,
) -> None:
    """`%` and `_` are text, not patterns: they find nothing here."""
    head = services.app.last_position()
    assert client.get("/companies", params={"q": "glans", "min_position": head}).json()
    for q in ("%", "_", "a|a", "%_%"):
        assert client.get("/companies", params={"q": q, "min_position": head}).json() == [], q


def test_the_latest_possible_date_is_a_valid_bound(
    client: TestClient, registered: str, services: Services
) -> None:
    """to=9999-12-31 is accepted (no day after it to compute)."""
    r = client.get(
        f"/companies/{registered}/timeline",
        params={"to": "9999-12-31", "min_position": services.app.last_position()},
    )
    assert r.status_code == 200, r.text
    assert [e["kind"] for e in r.json()["entries"]] == ["registered"]


def test_one_failing_read_model_does_not_stop_the_others(
    client: TestClient,
    staff: str,
    registered: str,
    services: Services,
) -> None:
    """A read model whose batches fail shows its error; the others keep following."""
    assert services.projections is not None
    broken = next(r for r in services.projections.runners if r.projection.name == "overview")

    def fail(*_: object) -> None:
        raise RuntimeError("poison event")

    broken.projection.process = fail  # type: ignore[method-assign,assignment]  # handlers fail
    answer = post(client, f"/companies/{registered}/contacts", contact(staff))
    assert services.projections.wait_for(answer["position"], 5, "timeline")
    assert _timeline(client, answer["position"])["entries"][0]["position"] == answer["position"]
    views = {v["name"]: v for v in client.get("/readyz").json()["views"]}
    assert views["overview"]["error"] == "RuntimeError"
    assert views["timeline"]["error"] is None


def test_date_filters_are_danish_days(client: TestClient, staff: str, registered: str) -> None:
    """A contact at 00:30 on 2 May in Copenhagen (1 May in UTC) is on 2 May."""
    answer = post(
        client,
        f"/companies/{registered}/contacts",
        contact(staff, occurred_at="2026-05-02T00:30:00+02:00"),
    )
    on_2nd = _timeline(client, answer["position"], **{"from": "2026-05-02", "to": "2026-05-02"})
    on_1st = _timeline(client, answer["position"], **{"from": "2026-05-01", "to": "2026-05-01"})
    assert [e["position"] for e in on_2nd["entries"]] == [answer["position"]]
    assert on_1st["entries"] == []


@pytest.mark.parametrize("batch_size", [2, 1000])
def test_a_one_pass_rebuild_of_every_read_model_equals_the_incremental_views(
    client: TestClient,
    staff: str,
    registered: str,
    services: Services,
    batch_size: int,
) -> None:
    """`rebuild all` (one pass, rows folded per batch, COPY on PostgreSQL) gives the rows
    that event-by-event processing gave, in small and in large batches."""
    c = f"/companies/{registered}"
    post(client, f"{c}/contact-person", {"staff_id": staff, "reason": "first", "by": staff})
    for n in range(20):
        logged = post(client, f"{c}/contacts", contact(staff, summary=f"call {n}"))
    post(client, f"{c}/contacts/{logged['id']}/corrections", contact(staff, reason="typo"))
    opening = post(
        client,
        f"{c}/openings",
        {"title": "H", "hours_per_week": 20, "placement_kinds": ["ordinary"], "by": staff},
    )
    post(client, f"{c}/openings/{opening['id']}/close", {"by": staff})
    placement = post(
        client,
        f"{c}/placements",
        {
            "candidate_id": new_candidate(client, registered, staff),
            "kind": "internship",
            "hours_per_week": 20,
            "starts_on": (NOW - timedelta(days=9)).date().isoformat(),
            "by": staff,
        },
    )
    post(
        client,
        f"{c}/placements/{placement['id']}/changes",
        {
            "effective_on": NOW.date().isoformat(),
            "kind": "wage_subsidy",
            "hours_per_week": 25,
            "by": staff,
        },
    )
    last = post(client, f"/staff/{staff}/leave", {"left_on": NOW.date().isoformat()})
    assert services.projections is not None
    assert services.projections.wait_for(last["position"], 5)
    before = {r.projection.name: r.generation for r in services.projections.runners}
    rebuilt = rebuild_all(
        services.app, services.views, list(before), lambda _: None, batch_size=batch_size
    )
    for r in rebuilt:
        assert services.views.active_generation(r.name) == (r.generation, last["position"])
        cls = next(
            type(x.projection) for x in services.projections.runners if x.projection.name == r.name
        )
        for table in cls.table_names():
            ordered = f"SELECT * FROM {{}}{table} ORDER BY 1, 2"
            assert services.views.query(
                ordered.format(prefix_of(r.name, r.generation))
            ) == services.views.query(ordered.format(prefix_of(r.name, before[r.name]))), table


def test_what_is_written_while_a_rebuild_swaps_reaches_its_summaries(
    client: TestClient,
    staff: str,
    registered: str,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Events written while a rebuild swaps its generations in are applied by its last
    catch-up, which counts the summaries again for them as a worker does (here no
    worker runs: the rebuild alone applies them)."""
    c = f"/companies/{registered}"
    placement = post(
        client,
        f"{c}/placements",
        {
            "candidate_id": new_candidate(client, registered, staff),
            "kind": "ordinary",
            "hours_per_week": 20,
            "starts_on": NOW.date().isoformat(),
            "by": staff,
        },
    )["id"]
    first = post(
        client,
        f"{c}/follow-ups",
        {
            "placement_id": placement,
            "due_on": (NOW + timedelta(days=3)).date().isoformat(),
            "by": staff,
        },
    )
    assert services.projections is not None
    services.projections.stop()
    activate, written = services.views.activate, list[dict[str, Any]]()

    def activate_and_write(cls: Any, generation: int) -> None:
        activate(cls, generation)
        if not written:
            written.append(
                post(
                    client,
                    f"{c}/follow-ups/{first['id']}/complete",
                    {"held_on": NOW.date().isoformat(), "status": "on_track", "by": staff},
                )
            )
            written.append(
                post(
                    client,
                    f"{c}/follow-ups",
                    {
                        "placement_id": placement,
                        "due_on": (NOW + timedelta(days=5)).date().isoformat(),
                        "by": staff,
                    },
                )
            )

    monkeypatch.setattr(services.views, "activate", activate_and_write)
    [rebuilt] = rebuild_all(services.app, services.views, ["overview"], lambda _: None)
    assert rebuilt.position == written[-1]["position"]
    assert services.views.query(
        f"SELECT due_on, follow_ups FROM {prefix_of('overview', rebuilt.generation)}open_follow_ups"
    ) == [((NOW + timedelta(days=5)).date().isoformat(), 1)]
