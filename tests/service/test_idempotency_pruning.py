"""Idempotency records are kept for the retention and then pruned, in batches: a key
retried within the retention answers the first result; after it, it is a new command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from domain.values import company_id
from infra.recorder import IdempotentRecorder
from infra.settings import Settings
from services.http.container import Services
from services.write.pruning import IdempotencyPruner
from tests.support.api import contact

pytestmark = pytest.mark.stores  # rerun on SQLite and PostgreSQL by `make integration`


def later(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


def post(client: TestClient, cvr: str, staff: str, key: str) -> tuple[int, str | None]:
    """A contact logged with this key: its status and whether it was a replayed answer."""
    r = client.post(
        f"/companies/{cvr}/contacts", json=contact(staff), headers={"Idempotency-Key": key}
    )
    return r.status_code, r.headers.get("idempotent-replayed")


def test_a_key_retried_after_the_retention_is_a_new_command(
    client: TestClient, staff: str, registered: str, services: Services
) -> None:
    assert post(client, registered, staff, "k-1") == (201, None)
    assert post(client, registered, staff, "k-1") == (201, "true")
    six_days_on = IdempotencyPruner(services.app.store, 7, clock=lambda: later(6))
    assert six_days_on.prune() == 0
    assert post(client, registered, staff, "k-1") == (201, "true")
    eight_days_on = IdempotencyPruner(services.app.store, 7, clock=lambda: later(8))
    assert eight_days_on.prune() == 1
    assert services.app.store.find_answers(["k-1"]) == {}
    assert post(client, registered, staff, "k-1") == (201, None)  # a new command
    assert [e.__class__.__name__ for e in services.app.events.get(company_id(registered))] == [
        "Registered",
        "ContactLogged",
        "ContactLogged",
    ]


class CountingStore(IdempotentRecorder):
    """The real store, counting the batches the pruner asks it to delete."""

    def __init__(self, store: IdempotentRecorder) -> None:
        self.store = store
        self.batches: list[int] = []

    def prune_answers(self, recorded_before: datetime, limit: int) -> int:
        deleted = self.store.prune_answers(recorded_before, limit)
        self.batches.append(deleted)
        return deleted


def test_pruning_deletes_in_batches_until_none_is_left(
    client: TestClient, staff: str, registered: str, services: Services
) -> None:
    for n in range(5):
        assert post(client, registered, staff, f"b-{n}")[0] == 201
    store = CountingStore(services.app.store)
    pruner = IdempotencyPruner(store, 7, batch=2, clock=lambda: later(8))
    assert pruner.prune() == 5
    assert store.batches == [2, 2, 1]
    assert services.app.store.find_answers([f"b-{n}" for n in range(5)]) == {}


def test_only_records_older_than_the_retention_go(
    client: TestClient, staff: str, registered: str, services: Services
) -> None:
    assert post(client, registered, staff, "old")[0] == 201
    cutoff = datetime.now(UTC) + timedelta(seconds=2)  # SQLite keeps whole seconds
    assert services.app.store.prune_answers(cutoff - timedelta(days=1), 100) == 0
    assert services.app.store.prune_answers(cutoff, 100) == 1


def test_the_retention_is_a_setting_of_one_day_or_more() -> None:
    assert Settings().idempotency_retention_days == 7
    assert Settings(idempotency_retention_days=30).idempotency_retention_days == 30
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        Settings(idempotency_retention_days=0)


def test_the_running_service_prunes_beside_its_projections(services: Services) -> None:
    """The embedded mode's in-process workers have a pruner running."""
    assert services.pruner is not None and services.pruner.running
