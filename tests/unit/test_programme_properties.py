"""Property tests of programme contracts: which placements count, against an oracle."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.outcomes import evaluate
from domain.programme import Participation, admitted, years_after
from domain.rules import RuleBook, Rules
from tests.unit.test_outcome_properties import BASE, COMPANIES, PERIOD, placements

CONTRACT, OTHER = uuid.UUID(int=7), uuid.UUID(int=8)
TODAY = date(2028, 1, 1)


def uncapped(years: int) -> Rules:
    return Rules.from_data(
        {
            "effective_from": BASE.isoformat(),
            "paying_kinds": ["ordinary", "flex_job", "wage_subsidy"],
            "milestones": [
                {"name": "start", "weeks": 0, "price_ore": 100},
                {"name": "4_weeks", "weeks": 4, "price_ore": 200},
                {"name": "8_weeks", "weeks": 8, "price_ore": 300},
            ],
            "durable_milestone": "8_weeks",
            "measurement_years": years,
        }
    )


@st.composite
def participations(draw: Any) -> dict[uuid.UUID, list[Participation]]:
    """Per company, back-to-back periods in this or another contract's programme."""
    found: dict[uuid.UUID, list[Participation]] = {}
    for company in COMPANIES:
        day = BASE + timedelta(days=draw(st.integers(-20, 60)))
        periods = []
        for _ in range(draw(st.integers(0, 3))):
            length = draw(st.none() | st.integers(0, 60))
            contract = draw(st.sampled_from([CONTRACT, CONTRACT, OTHER]))
            left = None if length is None else day + timedelta(days=length)
            periods.append(Participation(contract, "p", day, left))
            if left is None:
                break
            day = left + timedelta(days=draw(st.integers(1, 40)))
        found[company] = periods
    return found


@settings(max_examples=300, deadline=None)
@given(placements(6), participations(), st.integers(1, 2))
def test_only_what_participants_started_while_taking_part_is_paid(
    facts: Any, parts: dict[uuid.UUID, list[Participation]], years: int
) -> None:
    """Every outcome of a programme contract is of a placement its company started
    during one of its periods in this contract, reached by the end of the measurement
    period after it; and without caps, a programme pays exactly what the municipality
    contract pays for those placements, milestone for milestone."""
    book = RuleBook([uncapped(years)])
    chosen = admitted(facts, parts, CONTRACT, book)
    outcomes = evaluate(chosen, book, TODAY, PERIOD)
    by_id = {p.placement_id: p for p in facts}
    for o in outcomes:
        start = by_id[o.placement_id].segments[0].starts_on
        period = next(
            x for x in parts[o.company_id] if x.contract_id == CONTRACT and x.covers(start)
        )
        assert period.left_on is None or o.reached_on <= years_after(period.left_on, years)
    # The oracle: the municipality contract's outcomes of the started-while-taking-part
    # placements, minus milestones reached after their measurement period.
    every = evaluate(facts, book, TODAY, PERIOD)
    allowed = {p.placement_id: p.counts_until for p in chosen}
    expected = {
        (o.key, o.amount_ore)
        for o in every
        if o.placement_id in allowed and o.reached_on <= (allowed[o.placement_id] or TODAY)
    }
    # One payment per candidate per milestone: when the municipality's earliest payer of
    # a milestone was not admitted, the programme may pay another admitted placement.
    got = {(o.key, o.amount_ore) for o in outcomes}
    assert expected <= got
    for key, _ in got - expected:
        assert key not in {k for k, _ in expected}
