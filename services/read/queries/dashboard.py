"""A municipality dashboard's figures: contacts over time, people per company, the
placement funnel and placements by kind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from infra.clock import COPENHAGEN
from projections.overview import dashboard
from services.read.projections_at import ProjectionsAt

ACTORS = 15  # companies in the list of the most people in contact
ACTORS_DAYS = 90


@dataclass(frozen=True)
class Placement:
    """One placement, for the funnel and the kinds per quarter."""

    kind: str
    starts_on: str
    ended_on: str | None


@dataclass(frozen=True)
class Figures:
    """The dashboard's figures over the companies of some municipalities, as of `today`."""

    today: date
    weeks: list[tuple[str, int]]  # (ISO week, contacts), the oldest first
    actors: list[tuple[str, int]]  # (company, people in contact in ACTORS_DAYS days)
    referrals: int
    placements: list[Placement]

    def retained(self, weeks_in: int) -> int:
        """Placements that had lasted `weeks_in` weeks by today."""
        span = timedelta(weeks=weeks_in)
        return sum(
            1
            for p in self.placements
            if date.fromisoformat(p.starts_on) + span <= self.today
            and (
                p.ended_on is None
                or date.fromisoformat(p.ended_on) >= date.fromisoformat(p.starts_on) + span
            )
        )


def figures(at: ProjectionsAt, municipalities: Sequence[str], weeks: int) -> Figures:
    """The figures of the companies of `municipalities`, contacts over the last `weeks`."""
    o = at.prefix("overview")
    today = at.today()
    since = today - timedelta(weeks=weeks)
    contacts = at.query(dashboard.contacts_since(o, municipalities, since.isoformat()))
    per_week = Counter(week_of(r[0]) for r in contacts)
    shown = [week_of((since + timedelta(weeks=i + 1)).isoformat()) for i in range(weeks)]
    actors = at.query(
        dashboard.actors_since(
            o, municipalities, (today - timedelta(days=ACTORS_DAYS)).isoformat(), ACTORS
        )
    )
    [(referrals,)] = at.query(dashboard.referrals(o, municipalities))
    placements = at.query(dashboard.placements(o, municipalities))
    return Figures(
        today,
        [(w, per_week.get(w, 0)) for w in shown],
        [(str(r[0]), int(r[1])) for r in actors],
        int(referrals),
        [Placement(*r) for r in placements],
    )


def week_of(moment: str) -> str:
    """The ISO week (`2026-W07`) of a stored time (in Denmark) or date."""
    local = (
        datetime.fromisoformat(moment).astimezone(COPENHAGEN)
        if "T" in moment
        else date.fromisoformat(moment)
    )
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"
