"""Programme contracts: which companies take part, and which placements count (pure).

A contract of scope "municipality" counts every paying placement at companies of
its municipality (what every contract recorded before scopes existed is). A
contract of scope "programme" counts only placements that a participating
company started while it took part; a milestone such a placement reaches counts
until `measurement_years` (of the rules in effect on its last day) after the
company's participation ended (while it
still takes part, without an end). A company that leaves and rejoins counts
only what it started in its periods of participation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from domain.errors import InvalidValue
from domain.outcomes import PlacementFacts
from domain.rules import RuleBook

SCOPES = ("municipality", "programme")
DEFAULT_SCOPE = "municipality"

# A contract's target group: a category the programme is for, never a person's reason.
TARGET_GROUPS = {
    "long_term_unemployed": "Langtidsledige",
    "young_without_education": "Unge uden uddannelse",
    "refugees_and_immigrants": "Flygtninge og indvandrere",
    "criminal_record": "Personer med en plettet straffeattest",
    "reduced_working_capacity": "Personer med nedsat arbejdsevne",
}


def require_scope(scope: str) -> str:
    """The scope, if it is one of SCOPES."""
    if scope not in SCOPES:
        raise InvalidValue(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    return scope


def require_target_group(code: str | None) -> str | None:
    """The target group code, if it is None or one of TARGET_GROUPS."""
    if code is not None and code not in TARGET_GROUPS:
        raise InvalidValue(f"target_group must be one of {', '.join(TARGET_GROUPS)}, not {code!r}")
    return code


@dataclass(frozen=True)
class Participation:
    """A company took part in a contract's programme from `joined_on` to `left_on`."""

    contract_id: UUID
    programme: str
    joined_on: date
    left_on: date | None = None  # its last day; None while it takes part

    def covers(self, day: date) -> bool:
        """Whether the company took part on this day."""
        return self.joined_on <= day and (self.left_on is None or day <= self.left_on)


def years_after(day: date, years: int) -> date:
    """The same day `years` later (28 February for a 29th that has none)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def admitted(
    placements: Sequence[PlacementFacts],
    participations: Mapping[UUID, Sequence[Participation]],
    contract_id: UUID,
    book: RuleBook,
) -> list[PlacementFacts]:
    """The placements a programme contract counts, each with the last day on which a
    milestone of it may be reached (`counts_until`: the rules in effect on the day
    the company left say how many years after), in the order given."""
    found: list[PlacementFacts] = []
    for p in placements:
        start = p.segments[0].starts_on if p.segments else None
        periods = [
            part
            for part in participations.get(p.company_id, ())
            if part.contract_id == contract_id and start is not None and part.covers(start)
        ]
        if not periods:
            continue
        period = periods[0]
        left = period.left_on
        until = None if left is None else years_after(left, book.on(left).measurement_years)
        found.append(replace(p, counts_until=until, admitted_by=_basis(period)))
    return above_baseline(found, placements, participations, contract_id, book)


def started_on(p: PlacementFacts) -> date:
    """The placement's first day."""
    return p.segments[0].starts_on


def baseline_of(company: Sequence[PlacementFacts], joined_on: date, book: RuleBook) -> int:
    """The company's placements of paid kinds started in the 12 months before it joined
    (as the log tells them at the position folded): what it would have hired anyway."""
    since = years_after(joined_on, -1)
    return sum(
        1
        for p in company
        if p.segments
        and since <= started_on(p) < joined_on
        and p.segments[0].kind in book.on(started_on(p)).paying_kinds
    )


def above_baseline(
    admitted_: list[PlacementFacts],
    placements: Sequence[PlacementFacts],
    participations: Mapping[UUID, Sequence[Participation]],
    contract_id: UUID,
    book: RuleBook,
) -> list[PlacementFacts]:
    """With `baseline` in the rules in effect on the day a company joined: of what it
    started in each year of that participation (counted from the day it joined), the
    first `baseline` placements of paid kinds (by first day, then id) are not paid; the
    others are (an internship never takes a place of the baseline)."""
    by_company: dict[UUID, list[PlacementFacts]] = {}
    for p in placements:
        by_company.setdefault(p.company_id, []).append(p)
    skipped: set[UUID] = set()
    for company_id, periods in participations.items():
        for period in periods:
            if period.contract_id != contract_id or not book.on(period.joined_on).baseline:
                continue
            base = baseline_of(by_company.get(company_id, ()), period.joined_on, book)
            years: dict[int, list[PlacementFacts]] = {}
            for p in admitted_:
                if (
                    p.company_id == company_id
                    and period.covers(started_on(p))
                    and p.segments[0].kind in book.on(started_on(p)).paying_kinds
                ):
                    years.setdefault(_year_of(period.joined_on, started_on(p)), []).append(p)
            for year in years.values():
                year.sort(key=lambda p: (started_on(p), p.placement_id))
                skipped.update(p.placement_id for p in year[:base])
    return [p for p in admitted_ if p.placement_id not in skipped]


def _year_of(joined_on: date, day: date) -> int:
    """Which year of a participation `day` is in (0: its first year)."""
    year = 0
    while years_after(joined_on, year + 1) <= day:
        year += 1
    return year


def _basis(period: Participation) -> str:
    left = period.left_on.isoformat() if period.left_on else "now"
    return f"participation {period.joined_on.isoformat()} to {left}"
