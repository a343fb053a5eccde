"""Outcome rules: given placement facts, which milestones are reached and what they pay."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from domain.errors import InvalidValue
from domain.outcomes import PlacementFacts, Segment, evaluate, qualifying_runs
from domain.rules import Milestone, RuleBook, Rules, default_rules

START = date(2026, 1, 5)
PERIOD = (date(2026, 1, 1), date(2026, 12, 31))
PRICES = (10_000_00, 20_000_00, 30_000_00)


def rules(**changes: object) -> Rules:
    """The default rules at PRICES, with some fields changed."""
    base = default_rules(date(2026, 1, 1), PRICES)
    data = base.to_data() | changes
    return Rules.from_data(data)


def placement(
    kind: str = "ordinary",
    hours: int = 30,
    starts_on: date = START,
    candidate: uuid.UUID | None = None,
    company: uuid.UUID | None = None,
    ends_on: date | None = None,
) -> PlacementFacts:
    """Facts of one placement."""
    p = PlacementFacts(uuid.uuid4(), company or uuid.uuid4(), "13748136", candidate or uuid.uuid4())
    p.change(Segment(starts_on, kind, hours, "s:1"))
    if ends_on is not None:
        p.end(ends_on, "s:9")
    return p


def reached(p: list[PlacementFacts], today: date, r: Rules | None = None) -> dict[str, int]:
    """Milestone name -> amount, for one candidate."""
    book = RuleBook([r or rules()])
    return {o.milestone: o.amount_ore for o in evaluate(p, book, today, PERIOD)}


def test_an_ordinary_job_reaches_every_milestone_in_time() -> None:
    """Start on day one, 13 weeks after 91 days, 26 weeks after 182 days."""
    p = [placement()]
    assert reached(p, START) == {"start": 10_000_00}
    assert reached(p, START + timedelta(weeks=13) - timedelta(days=1)) == {"start": 10_000_00}
    assert reached(p, START + timedelta(weeks=26)) == dict(
        zip(("start", "13_weeks", "26_weeks"), PRICES, strict=True)
    )


def test_an_internship_never_pays() -> None:
    """An internship reaches nothing, and rules that would pay one are refused."""
    assert reached([placement("internship")], date(2027, 1, 1)) == {}
    with pytest.raises(InvalidValue, match="internship"):
        rules(paying_kinds=["ordinary", "internship"])


def test_wage_subsidy_pays_only_when_the_contract_says_so() -> None:
    """wage_subsidy is off by default and configurable."""
    p = [placement("wage_subsidy")]
    assert reached(p, START) == {}
    assert reached(p, START, rules(paying_kinds=["ordinary", "wage_subsidy"])) == {
        "start": 10_000_00
    }


def test_an_end_stops_the_clock() -> None:
    """A placement that ended after 12 weeks reaches the start only."""
    p = [placement(ends_on=START + timedelta(weeks=12))]
    assert reached(p, date(2027, 1, 1)) == {"start": 10_000_00}


def test_a_change_to_an_internship_is_a_gap_and_a_new_run_starts_from_zero() -> None:
    """Weeks before and after a non-paying spell are not added together."""
    p = placement()
    p.change(Segment(START + timedelta(weeks=10), "internship", 30, "s:2"))
    p.change(Segment(START + timedelta(weeks=11), "ordinary", 30, "s:3"))
    runs = qualifying_runs(p, RuleBook([rules()]))
    assert [(r.first, r.last) for r in runs] == [
        (START, START + timedelta(weeks=10, days=-1)),
        (START + timedelta(weeks=11), None),
    ]
    assert reached([p], START + timedelta(weeks=23)) == {"start": 10_000_00}
    assert "13_weeks" in reached([p], START + timedelta(weeks=24))


def test_hours_below_the_minimum_do_not_count() -> None:
    """10 hours a week under a 15-hour minimum reaches nothing."""
    assert reached([placement(hours=10)], date(2027, 1, 1), rules(min_hours_per_week=15)) == {}


def test_nothing_is_claimable_before_the_evidence_lag() -> None:
    """The start is claimable 30 days after it was reached."""
    [o] = evaluate([placement()], RuleBook([rules(evidence_lag_days=30)]), START, PERIOD)
    assert o.claimable_on == START + timedelta(days=30)


def test_a_candidate_is_paid_once_per_milestone() -> None:
    """Two placements of one candidate pay the start once, from the earlier one."""
    candidate = uuid.uuid4()
    first = placement(candidate=candidate)
    later = placement(candidate=candidate, starts_on=START + timedelta(days=3))
    outcomes = evaluate([later, first], RuleBook([rules()]), START + timedelta(days=5), PERIOD)
    assert [(o.milestone, o.placement_id) for o in outcomes] == [("start", first.placement_id)]


def test_caps_per_company_and_contract_hold() -> None:
    """Three starts at one company under a cap of 25,000 kr pay 10,000 + 10,000 + 5,000."""
    company = uuid.uuid4()
    p = [placement(company=company, starts_on=START + timedelta(days=i)) for i in range(3)]
    outcomes = evaluate(
        p, RuleBook([rules(cap_per_company_ore=25_000_00)]), START + timedelta(days=5), PERIOD
    )
    assert [o.amount_ore for o in outcomes] == [10_000_00, 10_000_00, 5_000_00]
    outcomes = evaluate(
        p, RuleBook([rules(cap_per_contract_ore=15_000_00)]), START + timedelta(days=5), PERIOD
    )
    assert [o.amount_ore for o in outcomes] == [10_000_00, 5_000_00, 0]


def test_an_amendment_prices_only_what_is_reached_after_it() -> None:
    """A new start price from March does not reprice January's starts."""
    amended = Rules(date(2026, 3, 1), frozenset({"ordinary"}), (Milestone("start", 0, 99_00),))
    book = RuleBook([rules(), amended])
    p = [placement(), placement(starts_on=date(2026, 3, 2))]
    outcomes = evaluate(p, book, date(2026, 3, 5), PERIOD)
    assert sorted(o.amount_ore for o in outcomes) == [99_00, 10_000_00]


def test_runs_starting_outside_the_contract_period_do_not_count() -> None:
    """A placement started before the period reaches nothing under this contract."""
    assert reached([placement(starts_on=date(2025, 12, 1))], date(2026, 12, 1)) == {}
