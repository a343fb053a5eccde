"""Outcome contract rules as data: what pays, when, and how much (in øre).

Rules are versioned by effective date. The version in effect on a day decides
whether employment on that day counts, and the version in effect on the day a
milestone is reached decides its price, its evidence lag and the caps; so an
amendment never changes what was reached before it took effect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.errors import InvalidValue

PLACEMENT_KINDS = ("ordinary", "flex_job", "wage_subsidy", "internship")
DEFAULT_PAYING_KINDS = ("flex_job", "ordinary")
NEVER_PAYS = "internship"  # an internship pays no wage, so it is never an outcome
MAX_PRICE_ORE = 100_000_000_00  # DKK 100 million: far above any contract
DEFAULT_DURABLE_MILESTONE = "26_weeks"
DEFAULT_MEASUREMENT_YEARS = 3


@dataclass(frozen=True)
class Milestone:
    """A result the contract pays for: `weeks` of continuous employment (0: the start)."""

    name: str
    weeks: int
    price_ore: int


DEFAULT_MILESTONES = (
    Milestone("start", 0, 0),
    Milestone("13_weeks", 13, 0),
    Milestone("26_weeks", 26, 0),
)


@dataclass(frozen=True)
class Rules:
    """One version of a contract's rules, in effect from `effective_from`."""

    effective_from: date
    paying_kinds: frozenset[str]
    milestones: tuple[Milestone, ...]
    min_hours_per_week: int = 1
    evidence_lag_days: int = 0
    cap_per_company_ore: int | None = None
    cap_per_contract_ore: int | None = None
    durable_milestone: str = DEFAULT_DURABLE_MILESTONE
    measurement_years: int = DEFAULT_MEASUREMENT_YEARS  # after a company's participation
    baseline: bool = False  # pay only above each company's 12 months before joining

    def pays(self, kind: str, hours_per_week: int) -> bool:
        """Whether a day of this kind and these hours counts as employment."""
        return kind in self.paying_kinds and hours_per_week >= self.min_hours_per_week

    def to_data(self) -> dict[str, Any]:
        """The JSON form stored in the contract's events."""
        return {
            "effective_from": self.effective_from.isoformat(),
            "paying_kinds": sorted(self.paying_kinds),
            "milestones": [
                {"name": m.name, "weeks": m.weeks, "price_ore": m.price_ore}
                for m in self.milestones
            ],
            "min_hours_per_week": self.min_hours_per_week,
            "evidence_lag_days": self.evidence_lag_days,
            "cap_per_company_ore": self.cap_per_company_ore,
            "cap_per_contract_ore": self.cap_per_contract_ore,
            "durable_milestone": self.durable_milestone,
            "measurement_years": self.measurement_years,
            "baseline": self.baseline,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Rules:
        """Rules from their stored form (validated, so a bad amendment is refused)."""
        try:
            milestones = tuple(
                Milestone(str(m["name"]), int(m["weeks"]), int(m["price_ore"]))
                for m in data["milestones"]
            )
            rules = cls(
                effective_from=date.fromisoformat(str(data["effective_from"])),
                paying_kinds=frozenset(str(k) for k in data["paying_kinds"]),
                milestones=milestones,
                min_hours_per_week=int(data.get("min_hours_per_week", 1)),
                evidence_lag_days=int(data.get("evidence_lag_days", 0)),
                cap_per_company_ore=_optional_int(data.get("cap_per_company_ore")),
                cap_per_contract_ore=_optional_int(data.get("cap_per_contract_ore")),
                durable_milestone=str(data.get("durable_milestone", durable_default(milestones))),
                measurement_years=int(data.get("measurement_years", DEFAULT_MEASUREMENT_YEARS)),
                baseline=bool(data.get("baseline", False)),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise InvalidValue(f"contract rules are malformed: {e}") from None
        rules.validate()
        return rules

    def validate(self) -> None:
        """Refuse rules that could not be applied as written."""
        unknown = self.paying_kinds - set(PLACEMENT_KINDS)
        if unknown:
            raise InvalidValue(f"unknown placement kinds: {', '.join(sorted(unknown))}")
        if NEVER_PAYS in self.paying_kinds:
            raise InvalidValue("an internship pays no wage and can never be a paid outcome")
        if not self.milestones:
            raise InvalidValue("a contract needs at least one milestone")
        names = [m.name for m in self.milestones]
        if len(set(names)) != len(names) or not all(n.strip() for n in names):
            raise InvalidValue("milestone names must be unique and not blank")
        for m in self.milestones:
            if not 0 <= m.weeks <= 520:
                raise InvalidValue(f"milestone {m.name}: weeks must be 0-520")
            if not 0 <= m.price_ore <= MAX_PRICE_ORE:
                raise InvalidValue(f"milestone {m.name}: price_ore must be 0-{MAX_PRICE_ORE}")
        if not 1 <= self.min_hours_per_week <= 37:
            raise InvalidValue("min_hours_per_week must be 1-37")
        if not 0 <= self.evidence_lag_days <= 366:
            raise InvalidValue("evidence_lag_days must be 0-366")
        for cap in (self.cap_per_company_ore, self.cap_per_contract_ore):
            if cap is not None and not 0 <= cap <= MAX_PRICE_ORE * 100:
                raise InvalidValue("caps must be non-negative amounts in øre")
        self._validate_measurement(names)

    def _validate_measurement(self, names: list[str]) -> None:
        if self.durable_milestone not in names:
            raise InvalidValue(
                f"durable_milestone {self.durable_milestone!r} is not one of the milestones"
                f" ({', '.join(names)})"
            )
        if not 1 <= self.measurement_years <= 10:
            raise InvalidValue("measurement_years must be 1-10")


def durable_default(milestones: Sequence[Milestone]) -> str:
    """Rules stored before `durable_milestone` existed: 26 weeks, else the longest."""
    names = [m.name for m in milestones]
    if DEFAULT_DURABLE_MILESTONE in names or not milestones:
        return DEFAULT_DURABLE_MILESTONE
    return max(milestones, key=lambda m: m.weeks).name


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def default_rules(effective_from: date, prices_ore: Sequence[int]) -> Rules:
    """The default rules (ordinary and flex jobs; start, 13 and 26 weeks) at these prices."""
    milestones = tuple(
        Milestone(m.name, m.weeks, p) for m, p in zip(DEFAULT_MILESTONES, prices_ore, strict=True)
    )
    return Rules(effective_from, frozenset(DEFAULT_PAYING_KINDS), milestones)


class RuleBook:
    """Every version of a contract's rules; the first applies before its own date too."""

    def __init__(self, versions: Sequence[Rules]) -> None:
        if not versions:
            raise InvalidValue("a contract needs rules")
        # Stable: of two versions from the same date, the later amendment wins.
        self.versions = tuple(sorted(versions, key=lambda r: r.effective_from))
        self._changes = [r.effective_from for r in self.versions[1:]]

    def on(self, day: date) -> Rules:
        """The version in effect on `day`."""
        if not self._changes:
            return self.versions[0]
        found = self.versions[0]
        for rules in self.versions:
            if rules.effective_from <= day:
                found = rules
            else:
                break
        return found

    def change_days(self) -> list[date]:
        """The days on which a later version takes effect."""
        return self._changes
