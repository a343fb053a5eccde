"""PostgreSQL drops casebook's connections (`pg_terminate_backend` on every backend the
running `casebook serve` and `casebook project` hold, as a failover or an operator
would): a command answers at once, 201 or a retryable 503, and the service goes on
without a restart, with nothing acknowledged lost."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg

from infra.settings import Settings
from tests.support.api import contact
from tests.support.running import Service, answered, running_service

CVR = "10000009"


def _terminate(service: Service) -> int:
    """Drop every connection the service's processes hold; how many there were."""
    with psycopg.connect(service.settings.database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = %s",
            (service.application_name,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def _contacts(service: Service) -> int:
    """How many contacts the company's timeline shows."""
    r, _ = answered(service, "GET", f"/companies/{CVR}/timeline?limit=200")
    assert r.status_code == 200, r.text
    return sum(1 for e in r.json()["entries"] if e["kind"] == "contact_logged")


def test_commands_answer_at_once_after_the_connections_are_dropped(
    postgres_settings: Settings, tmp_path: Path
) -> None:
    with running_service(postgres_settings, tmp_path) as service:
        staff = service.consultant_with_company(CVR)
        acknowledged, seen = 0, list[list[int]]()
        for _ in range(3):
            service.post(f"/companies/{CVR}/contacts", contact(staff))
            acknowledged += 1
            assert _terminate(service) >= 2  # the API's and the worker's at least
            r, statuses = answered(service, "POST", f"/companies/{CVR}/contacts", contact(staff))
            assert r.status_code == 201, (statuses, r.text)
            acknowledged += 1
            seen.append(statuses)
        deadline = time.monotonic() + 30
        while _contacts(service) < acknowledged and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _contacts(service) == acknowledged
        ready, _ = answered(service, "GET", "/readyz")
        assert ready.status_code == 200, ready.text
        # The commands right after each drop: answered at once (201) or after one 503.
        assert all(len(statuses) <= 2 for statuses in seen), seen
