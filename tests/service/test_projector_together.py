"""Read models that follow the log at the same position take each batch together."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

from domain.company import Company
from domain.staff import StaffMember
from domain.values import StaffRole, Unit
from infra.settings import Settings
from services.bootstrap import build_services, migrate
from services.http.container import Services
from services.read.projector import ProjectionService


@pytest.fixture
def stopped(memory_settings: Settings) -> Iterator[tuple[Services, ProjectionService]]:
    """Services with two events in the log and a projection service that is not running."""
    migrate(memory_settings)
    services = build_services(memory_settings, run_projections=False)
    staff = StaffMember.join(
        staff_id=uuid.uuid4(),
        name="Gry",
        municipality="165",
        unit=Unit.JOB_CENTRE,
        role=StaffRole.CONSULTANT,
        municipalities={"165"},
    )
    company = Company.register(
        cvr="13748136",
        name="Glans ApS",
        municipality="165",
        industry="cleaning",
        by=staff.as_actor(),
        municipalities={"165"},
    )
    services.app.save(staff, company)
    yield services, ProjectionService(services.app, services.views, memory_settings)
    services.close()


def _count_writes(services: Services, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every transaction opened on the views from now on (True for a write)."""
    opened: list[bool] = []
    real = services.views.transaction

    def counting(*, write: bool = True) -> AbstractContextManager[Any]:
        opened.append(write)
        return real(write=write)

    monkeypatch.setattr(services.views, "transaction", counting)
    return opened


def test_a_batch_is_applied_to_every_read_model_in_one_transaction(
    stopped: tuple[Services, ProjectionService], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One write transaction moves every read model to the batch's last position."""
    services, worker = stopped
    head = services.app.last_position()
    opened = _count_writes(services, monkeypatch)
    assert worker._run_together() == head
    assert opened.count(True) == 1
    assert [r.position for r in worker.runners] == [head] * len(worker.runners)
    assert services.views.query(
        f"SELECT name FROM {worker.runners[0].projection.t('companies')}"
    ) == [("Glans ApS",)]


def test_read_models_at_different_positions_each_run_on_their_own(
    stopped: tuple[Services, ProjectionService],
) -> None:
    """A read model ahead of the others (after a rebuild, say) means no batch together."""
    services, worker = stopped
    assert worker.runners[1].run_batch() == services.app.last_position()
    assert worker._run_together() is None


def test_a_batch_one_read_model_fails_on_is_not_applied_to_any(
    stopped: tuple[Services, ProjectionService],
) -> None:
    """A failing handler rolls the whole batch back; each read model then runs alone."""
    services, worker = stopped

    def fail(*_: object) -> None:
        raise RuntimeError("poison event")

    worker.runners[-1].projection.process = fail  # type: ignore[method-assign,assignment]
    assert worker._run_together() is None
    assert [r.position for r in worker.runners] == [0] * len(worker.runners)
    assert services.views.active_generation(worker.runners[0].projection.name) == (1, 0)


@pytest.mark.parametrize("part", ["read", "decode"])
def test_a_batch_that_cannot_be_read_or_decoded_leaves_each_read_model_to_itself(
    stopped: tuple[Services, ProjectionService], monkeypatch: pytest.MonkeyPatch, part: str
) -> None:
    """The log failing to read, or an event failing to decode, is no reason to stop
    following: each read model then runs on its own and shows the error in /readyz."""
    services, worker = stopped

    def fail(*_: object, **__: object) -> None:
        raise RuntimeError(f"cannot {part}")

    if part == "read":
        monkeypatch.setattr(services.app.recorder, "select_notifications", fail)
    else:
        monkeypatch.setattr(services.app.mapper, "to_domain_event", fail)
    assert worker._run_together() is None
    worker.start()
    try:
        assert worker.progress.wait(
            lambda: all(r.error == "RuntimeError" for r in worker.runners), timeout=10
        )
        assert all(t.is_alive() for t in worker._threads)
    finally:
        worker.stop()
