"""One example of every domain event: the golden files' cases."""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
import uuid
from datetime import UTC, date, datetime
from typing import Any

from eventsourcing.domain import CanMutateAggregate

from domain.candidate import Candidate
from domain.company import Company
from domain.contract import OutcomeContract
from domain.staff import StaffMember


def event_classes() -> list[type[Any]]:
    """Every event class of every aggregate, but the abstract base `Event`."""
    found = []
    for aggregate in (Company, StaffMember, OutcomeContract, Candidate):
        for name, value in vars(aggregate).items():
            if (
                isinstance(value, type)
                and issubclass(value, CanMutateAggregate)
                and name not in ("Event", "Created")
            ):
                found.append(value)
    return found


def example(cls: type[Any]) -> Any:
    """One event of this class with canned values in every field."""
    namespace = vars(sys.modules[cls.__module__])
    names = {f.name: f.type for f in dataclasses.fields(cls)}
    fields = {
        k: canned(eval(v, namespace) if isinstance(v, str) else v)
        for k, v in names.items()
        if k not in BASE_FIELDS
    }
    base: dict[str, Any] = {
        "originator_id": FIXED_ID,
        "originator_version": 3,
        "timestamp": datetime(2026, 1, 3, 10, 0, tzinfo=UTC),
    }
    if "originator_topic" in names:
        base["originator_topic"] = "casebook:test"
    return cls(**base, **fields)


FIXED_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")


CANNED: dict[Any, Any] = {
    uuid.UUID: uuid.UUID("00000000-0000-4000-8000-000000000002"),
    str: "text",
    int: 7,
    bool: True,
    date: date(2026, 1, 2),
    datetime: datetime(2026, 1, 2, 9, 30, tzinfo=UTC),
    list[str]: ["a", "b"],
    dict[str, Any]: {
        "effective_from": "2026-01-01",
        "paying_kinds": ["ordinary"],
        "milestones": [{"name": "start", "weeks": 0, "price_ore": 100}],
    },
    list[dict[str, Any]]: [{"key": "k", "amount_ore": 100}],
}


BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}


def canned(annotation: Any) -> Any:
    """A fixed example value of a field's type (the non-None side of an Optional)."""
    if isinstance(annotation, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    return CANNED[annotation]
