"""Which milestones a contract's placements reached, and what each is worth (pure).

The input is placement facts folded from Company events; the output depends
only on those facts, the rules and the business date `today`, never on the
order in which independent companies' events were recorded: every choice
(which placement pays a candidate's milestone, who comes first under a cap)
is ordered by business dates and ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from domain.rules import RuleBook, Rules


@dataclass(frozen=True)
class Segment:
    """From `starts_on` the placement is of this kind at these hours."""

    starts_on: date
    kind: str
    hours_per_week: int
    proof: str  # "<stream id>:<version>" of the event that says so


@dataclass
class PlacementFacts:
    """What the log says about one placement, folded from its events in stream order."""

    placement_id: UUID
    company_id: UUID
    cvr: str
    candidate_id: UUID
    segments: list[Segment] = field(default_factory=list)
    ends_on: date | None = None
    end_proof: str | None = None
    counts_until: date | None = None  # a programme's measurement period ends (else none)
    admitted_by: str = "municipality"  # the rule that lets it count (domain.programme)

    def change(self, segment: Segment) -> None:
        """A change from a date: it replaces what was planned from that date on."""
        self.segments = [s for s in self.segments if s.starts_on < segment.starts_on]
        self.segments.append(segment)

    def end(self, ends_on: date, proof: str) -> None:
        """The placement's last day of employment."""
        self.ends_on, self.end_proof = ends_on, proof


@dataclass(frozen=True)
class Run:
    """Days of continuous qualifying employment: `first` to `last` (None: still running)."""

    first: date
    last: date | None
    proof: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """A milestone a candidate reached, and what it is worth after the caps."""

    key: str  # "<candidate id>:<milestone>": one payment per candidate per milestone
    milestone: str
    candidate_id: UUID
    placement_id: UUID
    company_id: UUID
    cvr: str
    run_starts_on: date
    reached_on: date
    claimable_on: date
    price_ore: int
    amount_ore: int
    proof: tuple[str, ...]
    admitted_by: str = "municipality"


DAY = timedelta(days=1)


def qualifying_runs(p: PlacementFacts, book: RuleBook) -> list[Run]:
    """The placement's runs of continuous employment that count under the rules.

    A day counts when the placement runs and the rules in effect that day pay
    its kind at its hours; a day that does not count, or the end, stops the clock.
    """
    if not p.segments:
        return []
    start = p.segments[0].starts_on
    cuts = sorted({s.starts_on for s in p.segments} | {d for d in book.change_days() if d > start})
    if p.ends_on is not None:
        cuts = [d for d in cuts if d <= p.ends_on]
    runs: list[Run] = []
    first: date | None = None
    proof: list[str] = []
    for day in cuts:
        segment = _segment_on(p.segments, day)
        counts = book.on(day).pays(segment.kind, segment.hours_per_week)
        if counts and first is None:
            first, proof = day, []
        if counts and segment.proof not in proof:
            proof.append(segment.proof)
        if not counts and first is not None:
            runs.append(Run(first, day - DAY, tuple(proof)))
            first = None
    if first is not None:
        if p.ends_on is not None and p.end_proof is not None:
            proof.append(p.end_proof)
        runs.append(Run(first, p.ends_on, tuple(proof)))
    return runs


def _segment_on(segments: list[Segment], day: date) -> Segment:
    found = segments[0]
    for s in segments:
        if s.starts_on <= day:
            found = s
    return found


@dataclass(frozen=True)
class _Reached:
    milestone: str
    rules: Rules
    price_ore: int
    reached_on: date
    placement: PlacementFacts
    run: Run


def _reached(
    p: PlacementFacts, book: RuleBook, today: date, period: tuple[date, date]
) -> list[_Reached]:
    found = []
    last_day = today if p.counts_until is None else min(today, p.counts_until)
    for run in qualifying_runs(p, book):
        if not period[0] <= run.first <= period[1]:
            continue
        for rules in book.versions:
            for m in rules.milestones:
                reached_on = run.first + timedelta(weeks=m.weeks)
                held = m.weeks == 0 or run.last is None or run.last >= reached_on - DAY
                # The milestone belongs to the version in effect on the day it is reached.
                if held and reached_on <= last_day and book.on(reached_on) is rules:
                    found.append(_Reached(m.name, rules, m.price_ore, reached_on, p, run))
    return found


def evaluate(
    placements: list[PlacementFacts], book: RuleBook, today: date, period: tuple[date, date]
) -> list[Outcome]:
    """Every milestone reached by `today` by a run that started within `period`.

    One payment per candidate per milestone (the earliest reached wins), then
    the caps per company and per contract, in order of the day each was reached.
    """
    best: dict[tuple[UUID, str], _Reached] = {}
    for p in placements:
        for r in _reached(p, book, today, period):
            key = (p.candidate_id, r.milestone)
            current = best.get(key)
            if current is None or _order(r) < _order(current):
                best[key] = r
    outcomes = []
    by_company: dict[UUID, int] = {}
    total = 0
    for r in sorted(best.values(), key=_order):
        amount = r.price_ore
        caps = (
            (r.rules.cap_per_company_ore, by_company.get(r.placement.company_id, 0)),
            (r.rules.cap_per_contract_ore, total),
        )
        for cap, used in caps:
            if cap is not None:
                amount = max(0, min(amount, cap - used))
        by_company[r.placement.company_id] = by_company.get(r.placement.company_id, 0) + amount
        total += amount
        p = r.placement
        outcomes.append(
            Outcome(
                key=f"{p.candidate_id}:{r.milestone}",
                milestone=r.milestone,
                candidate_id=p.candidate_id,
                placement_id=p.placement_id,
                company_id=p.company_id,
                cvr=p.cvr,
                run_starts_on=r.run.first,
                reached_on=r.reached_on,
                claimable_on=r.reached_on + timedelta(days=r.rules.evidence_lag_days),
                price_ore=r.price_ore,
                amount_ore=amount,
                proof=r.run.proof,
                admitted_by=p.admitted_by,
            )
        )
    return outcomes


def _order(r: _Reached) -> tuple[date, str, UUID, UUID]:
    # UUIDs order by their number, which is the order of their text: cheaper, the same.
    return (r.reached_on, r.milestone, r.placement.candidate_id, r.placement.placement_id)
