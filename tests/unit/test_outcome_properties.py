"""Property tests of outcome evaluation against a day-by-day oracle."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.company import Company
from domain.facts import FactBook
from domain.ledger import Books, InvoiceRecord, invoice_lines
from domain.outcomes import PlacementFacts, Segment, evaluate
from domain.rules import PLACEMENT_KINDS, RuleBook, Rules

BASE = date(2026, 1, 1)
PERIOD = (BASE, date(2026, 6, 30))
COMPANIES = [uuid.UUID(int=i + 1) for i in range(3)]
CANDIDATES = [uuid.UUID(int=100 + i) for i in range(4)]


@st.composite
def rule_sets(draw: Any) -> Rules:
    """Rules with small numbers so milestones, caps and lags all come into play."""
    paying = draw(st.sets(st.sampled_from(["ordinary", "flex_job", "wage_subsidy"]), min_size=1))
    return Rules.from_data(
        {
            "effective_from": BASE.isoformat(),
            "paying_kinds": sorted(paying),
            "milestones": [
                {"name": "start", "weeks": 0, "price_ore": draw(st.integers(0, 500))},
                {"name": "4_weeks", "weeks": 4, "price_ore": draw(st.integers(0, 500))},
                {"name": "8_weeks", "weeks": 8, "price_ore": draw(st.integers(0, 500))},
            ],
            "min_hours_per_week": draw(st.integers(1, 30)),
            "evidence_lag_days": draw(st.integers(0, 20)),
            "cap_per_company_ore": draw(st.none() | st.integers(0, 1500)),
            "cap_per_contract_ore": draw(st.none() | st.integers(0, 3000)),
        }
    )


@st.composite
def placements(draw: Any, n: int) -> list[PlacementFacts]:
    """Up to `n` placements: a start, some changes of kind or hours, maybe an end."""
    found = []
    for i in range(draw(st.integers(0, n))):
        p = PlacementFacts(
            uuid.UUID(int=1000 + i),
            draw(st.sampled_from(COMPANIES)),
            "x",
            draw(st.sampled_from(CANDIDATES)),
        )
        day = BASE + timedelta(days=draw(st.integers(-10, 120)))
        for j in range(draw(st.integers(1, 3))):
            p.change(
                Segment(
                    day,
                    draw(st.sampled_from(PLACEMENT_KINDS)),
                    draw(st.integers(1, 37)),
                    f"{i}:{j}",
                )
            )
            day += timedelta(days=draw(st.integers(1, 40)))
        if draw(st.booleans()):
            p.end(day - timedelta(days=draw(st.integers(0, 1))), f"{i}:end")
        found.append(p)
    return found


def counts(p: PlacementFacts, rules: Rules, day: date) -> bool:
    """The oracle: does this single day count as paid employment?"""
    if day < p.segments[0].starts_on or (p.ends_on is not None and day > p.ends_on):
        return False
    segment = [s for s in p.segments if s.starts_on <= day][-1]
    return segment.kind in rules.paying_kinds and segment.hours_per_week >= rules.min_hours_per_week


TODAYS = st.integers(0, 250).map(lambda d: BASE + timedelta(days=d))


@settings(max_examples=150, deadline=None)
@given(rule_sets(), placements(6), TODAYS)
def test_every_outcome_rests_on_continuous_paid_employment(
    rules: Rules, facts: list[PlacementFacts], today: date
) -> None:
    """Each day from the run's start to the milestone counts, the day before does not;
    so internships, hours below the minimum, gaps and ends never count."""
    by_id = {p.placement_id: p for p in facts}
    for o in evaluate(facts, RuleBook([rules]), today, PERIOD):
        p = by_id[o.placement_id]
        assert o.reached_on <= today
        assert not counts(p, rules, o.run_starts_on - timedelta(days=1))
        day = o.run_starts_on
        while day < o.reached_on or day == o.run_starts_on:
            assert counts(p, rules, day), (o, day)
            day += timedelta(days=1)


@settings(max_examples=150, deadline=None)
@given(rule_sets(), placements(8), TODAYS)
def test_one_payment_per_candidate_per_milestone_and_caps_hold(
    rules: Rules, facts: list[PlacementFacts], today: date
) -> None:
    """Keys are unique; amounts never exceed a price or a cap."""
    outcomes = evaluate(facts, RuleBook([rules]), today, PERIOD)
    keys = [(o.candidate_id, o.milestone) for o in outcomes]
    assert len(keys) == len(set(keys))
    for company in COMPANIES:
        paid = sum(o.amount_ore for o in outcomes if o.company_id == company)
        assert rules.cap_per_company_ore is None or paid <= rules.cap_per_company_ore
    total = sum(o.amount_ore for o in outcomes)
    assert rules.cap_per_contract_ore is None or total <= rules.cap_per_contract_ore
    assert all(0 <= o.amount_ore <= o.price_ore for o in outcomes)


@settings(max_examples=100, deadline=None)
@given(rule_sets(), placements(8), st.lists(TODAYS, min_size=1, max_size=4))
def test_invoicing_claims_nothing_early_and_no_candidate_twice(
    rules: Rules, facts: list[PlacementFacts], todays: list[date]
) -> None:
    """Invoices issued on several days never charge before the evidence lag, and each
    milestone of a candidate is charged at most once (net of corrections: its worth)."""
    books = Books()
    book = RuleBook([rules])
    for n, today in enumerate(sorted(todays)):
        outcomes = evaluate(facts, book, today, PERIOD)
        lines = invoice_lines(outcomes, books, today, PERIOD)
        for line in lines:
            if line["kind"] == "charge":
                assert (
                    date.fromisoformat(line["reached_on"]) + timedelta(days=rules.evidence_lag_days)
                    <= today
                )
        books.invoices[uuid.UUID(int=n)] = InvoiceRecord(
            uuid.UUID(int=n), *PERIOD, today, 0, "", tuple(lines), 0
        )
        worth = {o.key: o.amount_ore for o in outcomes}
        for key, net in books.net_invoiced().items():
            assert net == worth.get(key, 0)  # corrections keep what was invoiced true
    charged = [
        line["key"] for i in books.invoices.values() for line in i.lines if line["kind"] == "charge"
    ]
    assert len(charged) == len(set(charged))


def _event(cls: Any, company: uuid.UUID, version: int, **fields: Any) -> Any:
    """A Company event of this company at this version."""
    return cls(
        originator_id=company,
        originator_version=version,
        timestamp=datetime(2026, 1, 1, tzinfo=UTC),
        by=company,
        **fields,
    )


def _events(facts: list[PlacementFacts]) -> dict[uuid.UUID, list[Any]]:
    """Company events of each company that would produce these facts."""
    streams: dict[uuid.UUID, list[Any]] = {
        c: [
            _event(
                Company.Registered,
                c,
                1,
                originator_topic="",
                cvr=str(c.int),
                name="n",
                municipality="165",
                industry="",
            )
        ]
        for c in COMPANIES
    }
    for p in facts:
        events = streams[p.company_id]
        for i, s in enumerate(p.segments):
            common = {
                "placement_id": p.placement_id,
                "kind": s.kind,
                "hours_per_week": s.hours_per_week,
            }
            if i == 0:
                events.append(
                    _event(
                        Company.PlacementStarted,
                        p.company_id,
                        len(events) + 1,
                        candidate_id=p.candidate_id,
                        referral_id=None,
                        starts_on=s.starts_on,
                        **common,
                    )
                )
            else:
                events.append(
                    _event(
                        Company.PlacementChanged,
                        p.company_id,
                        len(events) + 1,
                        effective_on=s.starts_on,
                        **common,
                    )
                )
        if p.ends_on is not None:
            events.append(
                _event(
                    Company.PlacementEnded,
                    p.company_id,
                    len(events) + 1,
                    placement_id=p.placement_id,
                    ends_on=p.ends_on,
                    reason="other",
                )
            )
    return streams


@settings(max_examples=100, deadline=None)
@given(rule_sets(), placements(8), TODAYS, st.randoms(use_true_random=False))
def test_the_ledger_does_not_depend_on_how_companies_events_interleave(
    rules: Rules, facts: list[PlacementFacts], today: date, rnd: Any
) -> None:
    """Two interleavings of the same companies' streams give the same outcomes."""
    streams = _events(facts)

    def interleaved() -> list[Any]:
        queues = {k: list(v) for k, v in streams.items()}
        order: list[Any] = []
        while any(queues.values()):
            company = rnd.choice([k for k, v in queues.items() if v])
            order.append(queues[company].pop(0))
        return order

    results = []
    for _ in range(2):
        fact_book = FactBook()
        for e in interleaved():
            fact_book.apply(e)
        results.append(evaluate(fact_book.facts("165"), RuleBook([rules]), today, PERIOD))
    assert results[0] == results[1]
