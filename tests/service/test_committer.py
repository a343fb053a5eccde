"""The group committer's batch rules, on batches composed by the test."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from eventsourcing.domain import Aggregate

import services.write.committer as committer_module
from domain.company import Company
from domain.errors import CompanyAlreadyRegisteredError
from domain.values import StaffRole, Unit, company_id
from infra.settings import Settings
from services.errors import CommandTimeoutError
from services.http.container import Services
from services.write import companies as commands
from services.write import staff
from services.write.command import Command, CommandResult, IdempotencyClaim, Reader
from tests.support.committer import run_batch
from tests.support.services import open_services

CVR = "13748136"


@pytest.fixture
def store(memory_settings: Settings) -> Iterator[Services]:
    s = open_services(memory_settings)
    yield s
    s.close()


def _join(staff_id: uuid.UUID, claim: IdempotencyClaim | None = None) -> Command:
    return staff.join_staff(
        staff_id=staff_id,
        name="Ask Ravnsholt",
        municipality="165",
        unit=Unit.JOB_CENTRE,
        role=StaffRole.CONSULTANT,
        claim=claim,
    )


def _contact(staff: uuid.UUID) -> Command:
    now = datetime.now(UTC)
    return commands.log_contact(
        cvr=CVR,
        by=staff,
        contact_id=uuid.uuid4(),
        channel="phone",
        occurred_at=now,
        summary="call",
        topics=[],
        now=now,
    )


def test_events_are_logged_in_decision_order_across_aggregates(store: Services) -> None:
    """A contact, a staff member joining, then naming them: positions follow that order."""
    lead = uuid.uuid4()
    run_batch(store.committer, [_join(lead)])
    run_batch(
        store.committer,
        [
            commands.register_company(
                cvr=CVR, name="Glans ApS", municipality="165", industry="", by=lead
            )
        ],
    )
    newcomer = uuid.uuid4()
    assign = commands.assign_contact_person(
        cvr=CVR, by=lead, staff_id=newcomer, reason="new", handover_note="", may_reassign=True
    )

    results = run_batch(store.committer, [_contact(lead), _join(newcomer), assign])
    positions = [r.position for r in results]
    assert positions == sorted(positions)
    assert len(set(positions)) == 3


def test_a_key_repeated_within_one_batch_is_applied_once(store: Services) -> None:
    """The second command with the same key waits for the first and replays its answer."""
    lead = uuid.uuid4()
    run_batch(store.committer, [_join(lead)])
    claim = IdempotencyClaim("register-once", "hash-1")

    def register() -> Command:
        return commands.register_company(
            cvr=CVR, name="Glans ApS", municipality="165", industry="", by=lead, claim=claim
        )

    first, second = run_batch(store.committer, [register(), register()])
    assert isinstance(first, CommandResult) and isinstance(second, CommandResult)
    assert (second.version, second.position, second.replayed) == (1, first.position, True)


def test_a_key_recorded_before_the_batch_is_replayed_not_refused(store: Services) -> None:
    """A retry decided after its first attempt committed gets the first answer, not a 409."""
    lead = uuid.uuid4()
    run_batch(store.committer, [_join(lead)])
    claim = IdempotencyClaim("register-retry", "hash-2")

    def build() -> Command:
        return commands.register_company(
            cvr=CVR, name="Glans ApS", municipality="165", industry="", by=lead, claim=claim
        )

    [first] = run_batch(store.committer, [build()])
    [again] = run_batch(store.committer, [build()])
    assert isinstance(again, CommandResult)
    assert (again.position, again.replayed) == (first.position, True)
    [plain] = run_batch(
        store.committer,
        [
            commands.register_company(
                cvr=CVR, name="Glans ApS", municipality="165", industry="", by=lead
            )
        ],
    )
    assert isinstance(plain, CompanyAlreadyRegisteredError)


def test_a_command_whose_caller_gave_up_while_queued_is_not_applied(
    store: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A timed-out request that was still queued is dropped; the writer keeps going."""
    lead = uuid.uuid4()
    store.committer.submit(_join(lead))
    gate, entered = threading.Event(), threading.Event()

    def slow(current: Aggregate | None, reader: Reader) -> tuple[Aggregate, dict[str, Any]]:
        entered.set()
        gate.wait(5)
        raise CompanyAlreadyRegisteredError("blocked on purpose")

    def block() -> None:
        with pytest.raises(CompanyAlreadyRegisteredError):
            store.committer.submit(Command(uuid.uuid4(), slow))

    blocker = threading.Thread(target=block)
    blocker.start()
    assert entered.wait(5)  # the writer is busy with the blocker now
    monkeypatch.setattr(committer_module, "COMMAND_TIMEOUT_SECONDS", 0.2)
    with pytest.raises(CommandTimeoutError):
        asyncio.run(store.committer.submit_async(_register(lead)))
    monkeypatch.setattr(committer_module, "COMMAND_TIMEOUT_SECONDS", 60.0)
    gate.set()
    blocker.join()
    assert store.app.find(company_id(CVR), Company) is None
    assert store.committer.alive
    assert store.committer.submit(_register(lead)).version == 1


def _register(lead: uuid.UUID) -> Command:
    return commands.register_company(
        cvr=CVR, name="Glans ApS", municipality="165", industry="", by=lead
    )
