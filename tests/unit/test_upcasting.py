"""Events stored at an older class version still read, through the library's upcasters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.contract import OutcomeContract
from infra.settings import Settings
from services.eventstore import open_application

OLD = Path(__file__).parent.parent / "golden" / "upcast"


def test_a_contract_agreed_before_scopes_reads_as_a_municipality_contract() -> None:
    """A version 1 Agreed (the stored form pinned before version 2) has no
    counterparty and no target group, and counts the whole municipality."""
    app = open_application(Settings(database_url="memory://"))
    old = json.loads((OLD / "casebook.OutcomeContract.Agreed.v1.json").read_text())
    assert "class_version" not in old["state"]
    old["state"]["originator_topic"] = OutcomeContract.TOPIC  # the pinned form's is a dummy
    stored = StoredEvent(UUID(int=1), 1, old["topic"], json.dumps(old["state"]).encode("utf-8"))
    event = app.mapper.to_domain_event(stored)
    assert isinstance(event, OutcomeContract.Agreed)
    assert (event.counterparty_name, event.counterparty_cvr) == (None, None)
    assert event.target_group is None
    assert event.scope == "municipality"
    contract: Any = event.mutate(None)
    assert isinstance(contract, OutcomeContract)
    assert not contract.is_programme
    assert contract.name == "text"
