"""Many writers at once on PostgreSQL: nothing lost, nothing applied twice."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from domain.company import Company
from domain.values import company_id
from infra.settings import Settings
from services.http.container import Services
from services.write import companies as commands
from services.write import placements
from services.write.command import Command
from tests.support.committer import run_batch
from tests.support.services import acting_client, new_candidate, open_services

CVR = "13748136"
WRITERS = 16
PER_WRITER = 20


@pytest.fixture
def two_processes(postgres_settings: Settings) -> Iterator[tuple[Services, Services]]:
    """Two independent event stores and committers on one database, like two API processes."""
    first = open_services(postgres_settings)
    second = open_services(postgres_settings)
    yield first, second
    first.close()
    second.close()


def _setup(client: TestClient) -> str:
    staff: str = client.post(
        "/staff", json={"name": "Ask Fjordvang", "municipality": "165", "unit": "job_centre"}
    ).json()["id"]
    r = client.post(
        "/companies", json={"cvr": CVR, "name": "Glans ApS", "municipality": "165", "by": staff}
    )
    assert r.status_code == 201
    return staff


def _contact(staff: str, n: int) -> dict[str, Any]:
    return {
        "by": staff,
        "channel": "phone",
        "occurred_at": datetime.now(UTC).isoformat(),
        "summary": f"contact {n}",
    }


def test_concurrent_writers_on_one_company_all_succeed(
    two_processes: tuple[Services, Services],
) -> None:
    """16 writers through two processes log 320 contacts: all present, versions contiguous."""
    clients = [acting_client(s) for s in two_processes]
    staff = _setup(clients[0])

    def write(writer: int) -> list[int]:
        client = clients[writer % 2]
        statuses = []
        for n in range(PER_WRITER):
            r = client.post(f"/companies/{CVR}/contacts", json=_contact(staff, writer * 1000 + n))
            statuses.append(r.status_code)
        return statuses

    with ThreadPoolExecutor(WRITERS) as pool:
        statuses = [s for batch in pool.map(write, range(WRITERS)) for s in batch]
    assert statuses == [201] * WRITERS * PER_WRITER
    events = list(two_processes[0].app.events.get(company_id(CVR)))
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
    summaries = {e.summary for e in events if isinstance(e, Company.ContactLogged)}
    assert summaries == {
        f"contact {w * 1000 + n}" for w in range(WRITERS) for n in range(PER_WRITER)
    }


def test_concurrent_commands_are_committed_in_shared_transactions(
    postgres_settings: Settings,
) -> None:
    """Under concurrent load the committer saves several commands per transaction."""
    services = open_services(postgres_settings)
    try:
        client = acting_client(services)
        staff = _setup(client)
        before = services.committer.batches
        with ThreadPoolExecutor(WRITERS) as pool:
            codes = list(
                pool.map(
                    lambda n: (
                        client.post(
                            f"/companies/{CVR}/contacts", json=_contact(staff, n)
                        ).status_code
                    ),
                    range(400),
                )
            )
        assert codes == [201] * 400
        batches = services.committer.batches - before
        assert 400 / batches >= 2, f"{batches} transactions for 400 concurrent commands"
    finally:
        services.close()


def test_a_key_retried_concurrently_through_two_processes_applies_once(
    two_processes: tuple[Services, Services],
) -> None:
    """Ten simultaneous retries with one Idempotency-Key write one event, one answer."""
    clients = [acting_client(s) for s in two_processes]
    staff = _setup(clients[0])
    body = _contact(staff, 1)

    def send(n: int) -> tuple[int, Any]:
        r = clients[n % 2].post(
            f"/companies/{CVR}/contacts", json=body, headers={"Idempotency-Key": "same-key"}
        )
        return r.status_code, r.json()

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(send, range(10)))
    assert {code for code, _ in answers} == {201}
    assert len({str(a) for _, a in answers}) == 1
    events = list(two_processes[0].app.events.get(company_id(CVR)))
    assert [type(e).__name__ for e in events] == ["Registered", "ContactLogged"]


def test_failures_in_a_batch_stay_with_their_own_commands(postgres_settings: Settings) -> None:
    """Refused commands among accepted ones fail alone; the others are written."""
    services = open_services(postgres_settings)
    try:
        client = acting_client(services)
        staff = _setup(client)

        def send(n: int) -> int:
            if n % 3 == 0:  # an unknown placement: refused
                path = f"/companies/{CVR}/placements/{uuid.uuid4()}/end"
                return client.post(
                    path, json={"ends_on": "2026-01-01", "reason": "other", "by": staff}
                ).status_code
            return client.post(f"/companies/{CVR}/contacts", json=_contact(staff, n)).status_code

        with ThreadPoolExecutor(WRITERS) as pool:
            codes = list(pool.map(send, range(300)))
        assert codes.count(404) == 100
        assert codes.count(201) == 200
        events = list(services.app.events.get(company_id(CVR)))
        assert len(events) == 201
    finally:
        services.close()


def test_a_refusal_on_a_stale_cache_is_decided_again_on_fresh_state(
    two_processes: tuple[Services, Services],
) -> None:
    """Process 1 knows an old version of the company; a referral to an opening that
    process 2 registered is accepted, not refused as unknown."""
    first, second = (acting_client(s) for s in two_processes)
    staff = _setup(first)
    assert first.post(f"/companies/{CVR}/contacts", json=_contact(staff, 1)).status_code == 201
    opening = second.post(
        f"/companies/{CVR}/openings",
        json={
            "title": "Helper",
            "hours_per_week": 20,
            "placement_kinds": ["ordinary"],
            "by": staff,
        },
    ).json()["id"]
    r = first.post(
        f"/companies/{CVR}/referrals",
        json={
            "opening_id": opening,
            "candidate_id": new_candidate(first, CVR, staff),
            "by": staff,
        },
    )
    assert r.status_code == 201, r.text


def test_refusals_wait_for_their_batch_and_are_retried_when_it_conflicts(
    two_processes: tuple[Services, Services],
) -> None:
    """In one batch on a stale cache, a contact (accepted) and a referral to an opening the
    other process registered (refused on the stale state): the save conflicts, and both
    are decided again on fresh state, so the referral is accepted."""
    one = two_processes[0]
    first, second = (acting_client(s) for s in two_processes)
    staff = _setup(first)
    assert first.post(f"/companies/{CVR}/contacts", json=_contact(staff, 1)).status_code == 201
    opening = uuid.UUID(
        second.post(
            f"/companies/{CVR}/openings",
            json={
                "title": "Helper",
                "hours_per_week": 20,
                "placement_kinds": ["ordinary"],
                "by": staff,
            },
        ).json()["id"]
    )
    now = datetime.now(UTC)
    contact = commands.log_contact(
        cvr=CVR,
        by=uuid.UUID(staff),
        contact_id=uuid.uuid4(),
        channel="phone",
        occurred_at=now,
        summary="x",
        topics=[],
        now=now,
    )
    refer = placements.refer_candidate(
        cvr=CVR,
        by=uuid.UUID(staff),
        referral_id=uuid.uuid4(),
        opening_id=opening,
        candidate_id=uuid.UUID(new_candidate(first, CVR, staff)),
        health_clarified_on=None,
        motivation_clarified_on=None,
        now=now,
    )
    results = run_batch(one.committer, [contact, refer])
    assert [type(r).__name__ for r in results] == ["CommandResult", "CommandResult"]
    events = list(one.app.events.get(company_id(CVR)))
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))


def test_after_a_lost_race_a_batch_checks_its_cache_and_is_not_retried_alone(
    two_processes: tuple[Services, Services],
) -> None:
    """Once a process has lost a race for a company to another, its next batches look up
    their aggregates' stored versions first: a company the other process changed
    meanwhile is decided on fresh state in the batch, not failed and retried command by
    command. (Before any race, a process never pays for the look-up.)"""
    one = two_processes[0]
    first, second = (acting_client(s) for s in two_processes)
    staff = _setup(first)

    def contacts(n: int) -> list[Command]:
        now = datetime.now(UTC)
        return [
            commands.log_contact(
                cvr=CVR,
                by=uuid.UUID(staff),
                contact_id=uuid.uuid4(),
                channel="phone",
                occurred_at=now,
                summary=f"contact {n}.{i}",
                topics=[],
                now=now,
            )
            for i in range(2)
        ]

    retried = []
    for n in range(3):
        assert second.post(f"/companies/{CVR}/contacts", json=_contact(staff, n)).status_code == 201
        with capture_logs() as logs:
            results = run_batch(one.committer, contacts(n))
        assert [type(r).__name__ for r in results] == ["CommandResult", "CommandResult"]
        retried.append(sum(e["event"] == "batch_retried_alone" for e in logs))
    assert retried == [1, 0, 0]  # the first batch raced on a stale cache; then no more
    company = one.app.find(company_id(CVR), Company)
    assert company is not None and company.version == 1 + 3 + 3 * 2
