"""Builders for domain tests: a company, actors and a fixed clock."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from domain.company import Company
from domain.parts import Actor
from domain.values import Unit

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
MUNICIPALITIES = {"165", "147"}


def actor(municipality: str = "165", *, active: bool = True, unit: Unit = Unit.JOB_CENTRE) -> Actor:
    """A staff member as a command sees them."""
    return Actor(uuid.uuid4(), municipality, unit, active)


def company(by: Actor | None = None) -> Company:
    """A registered company of municipality 165, with its events collected."""
    c = Company.register(
        cvr="13748136",
        name="Glans Rengøring ApS",
        municipality="165",
        industry="cleaning",
        by=by or actor(),
        municipalities=MUNICIPALITIES,
    )
    c.collect_events()
    return c


def with_opening(c: Company, by: Actor, kinds: tuple[str, ...] = ("ordinary",)) -> uuid.UUID:
    """Register an open opening and return its id."""
    opening_id = uuid.uuid4()
    c.register_opening(
        opening_id=opening_id,
        title="Helper",
        carved_out_tasks=[],
        hours_per_week=20,
        placement_kinds=list(kinds),
        requirements=[],
        positions=1,
        by=by,
    )
    return opening_id


def with_placement(
    c: Company, by: Actor, starts_on: date = date(2026, 3, 1), kind: str = "ordinary"
) -> uuid.UUID:
    """Start a placement and return its id."""
    placement_id = uuid.uuid4()
    c.start_placement(
        placement_id=placement_id,
        candidate_id=uuid.uuid4(),
        referral_id=None,
        kind=kind,
        hours_per_week=30,
        starts_on=starts_on,
        by=by,
    )
    return placement_id
