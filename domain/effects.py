"""The effect statement (effektopgørelse) of a programme contract, from the log (pure).

Per participating company: its periods of participation, the placements it started
while taking part (paid kinds counted; internships listed apart, never counted), how
many reached each milestone, how many were still employed after 13, 26 and 52 weeks,
their hours per week, and the amount the ledger gives for them; and per contract the
cost per durable job (amount ÷ jobs that reached the durable milestone) and per job
started. Nothing is typed in: the same facts, rules and day give the same statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from domain.outcomes import Outcome, PlacementFacts
from domain.programme import Participation, baseline_of
from domain.rules import NEVER_PAYS, RuleBook

STILL_EMPLOYED_WEEKS = (13, 26, 52)


@dataclass(frozen=True)
class CompanyEffects:
    """One participating company's part of the statement."""

    company_id: UUID
    cvr: str
    participations: tuple[Participation, ...]
    started: int  # placements of paid kinds started while taking part, in the period
    internships: int  # started while taking part, listed apart: never counted
    milestones: dict[str, int]  # milestone -> placements that reached it in the period
    still_employed: dict[int, int]  # weeks -> of `started`, still employed that long
    durable: int  # reached the durable milestone in the period
    hours_per_week: float | None  # the mean of `started`'s first hours
    amount_ore: int  # the ledger's amount for the milestones reached in the period
    baseline: int | None  # paid placements in the 12 months before joining (rules.baseline)
    above_baseline: int  # of `started`, those the contract may pay for


@dataclass(frozen=True)
class Statement:
    """The whole statement: its companies and totals."""

    period: tuple[date, date]
    durable_milestone: str
    companies: tuple[CompanyEffects, ...]

    @property
    def started(self) -> int:
        return sum(c.started for c in self.companies)

    @property
    def durable(self) -> int:
        return sum(c.durable for c in self.companies)

    @property
    def amount_ore(self) -> int:
        return sum(c.amount_ore for c in self.companies)

    def cost_per_durable_job_ore(self) -> int | None:
        """Amount ÷ jobs that reached the durable milestone (None when none did)."""
        return round(self.amount_ore / self.durable) if self.durable else None

    def cost_per_job_started_ore(self) -> int | None:
        """Amount ÷ paid jobs started (None when none was)."""
        return round(self.amount_ore / self.started) if self.started else None


def statement(
    contract_id: UUID,
    placements: Sequence[PlacementFacts],
    participations: Mapping[UUID, Sequence[Participation]],
    cvrs: Mapping[UUID, str],
    counted: Sequence[PlacementFacts],
    outcomes: Sequence[Outcome],
    book: RuleBook,
    today: date,
    period: tuple[date, date],
) -> Statement:
    """The statement for `period`: `placements` are the municipality's, `outcomes` the
    programme ledger's (domain.outcomes.evaluate of `counted`, the placements the
    contract admits: domain.programme.admitted)."""
    paying = {p.placement_id for p in counted if _pays(p, book)}
    durable = book.versions[0].durable_milestone
    by_company: dict[UUID, list[PlacementFacts]] = {}
    for p in placements:
        by_company.setdefault(p.company_id, []).append(p)
    reached_by: dict[UUID, list[Outcome]] = {}
    for o in outcomes:
        if period[0] <= o.reached_on <= period[1]:
            reached_by.setdefault(o.company_id, []).append(o)
    companies = []
    for company_id in sorted(participations):
        periods = tuple(p for p in participations[company_id] if p.contract_id == contract_id)
        if not periods:
            continue
        mine = [
            p
            for p in by_company.get(company_id, ())
            if p.segments
            and period[0] <= p.segments[0].starts_on <= period[1]
            and any(x.covers(p.segments[0].starts_on) for x in periods)
        ]
        paid = [
            p for p in mine if p.segments[0].kind in book.on(p.segments[0].starts_on).paying_kinds
        ]
        reached = reached_by.get(company_id, [])
        milestones: dict[str, int] = {}
        for o in reached:
            milestones[o.milestone] = milestones.get(o.milestone, 0) + 1
        hours = [p.segments[0].hours_per_week for p in paid]
        companies.append(
            CompanyEffects(
                company_id=company_id,
                cvr=cvrs.get(company_id, ""),
                participations=periods,
                started=len(paid),
                internships=sum(1 for p in mine if p.segments[0].kind == NEVER_PAYS),
                milestones=milestones,
                still_employed={w: _still_employed(paid, w, today) for w in STILL_EMPLOYED_WEEKS},
                durable=milestones.get(durable, 0),
                hours_per_week=round(sum(hours) / len(hours), 1) if hours else None,
                amount_ore=sum(o.amount_ore for o in reached),
                baseline=_baseline(by_company.get(company_id, ()), periods, book),
                above_baseline=sum(1 for p in paid if p.placement_id in paying),
            )
        )
    return Statement(period, durable, tuple(companies))


def _baseline(
    company: Sequence[PlacementFacts], periods: Sequence[Participation], book: RuleBook
) -> int | None:
    """The company's baseline over its periods (None when no period's rules ask one)."""
    asked = [p for p in periods if book.on(p.joined_on).baseline]
    return sum(baseline_of(company, p.joined_on, book) for p in asked) if asked else None


def _pays(p: PlacementFacts, book: RuleBook) -> bool:
    """Whether the placement started as a kind the rules of its first day pay."""
    return p.segments[0].kind in book.on(p.segments[0].starts_on).paying_kinds


def _still_employed(placements: Sequence[PlacementFacts], weeks: int, today: date) -> int:
    """How many had run `weeks` weeks by `today` without ending before."""
    found = 0
    for p in placements:
        mark = p.segments[0].starts_on + timedelta(weeks=weeks)
        if mark <= today and (p.ends_on is None or p.ends_on >= mark - timedelta(days=1)):
            found += 1
    return found
