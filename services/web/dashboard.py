"""The municipality dashboard: coordination, the placement funnel and kinds over time,
as accessible SVG charts with the same numbers as tables."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from domain.values import PlacementKind
from infra.clock import COPENHAGEN
from services.http.access import READERS, allow, in_clause, visible_municipalities
from services.http.auth import Principal
from services.http.deps import Svc
from services.http.reading import All, ViewsAt, reading
from services.web.i18n import translate
from services.web.render import language, page

router = APIRouter(prefix="/app", include_in_schema=False)
WEEKS = 12
RETENTION = (13, 26)


@dataclass(frozen=True)
class Bar:
    """One bar of a chart, with its geometry in the SVG's units."""

    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


def bars(points: list[tuple[str, int]], width: float = 600, height: float = 160) -> list[Bar]:
    """Vertical bars scaled to the largest value."""
    top = max([v for _, v in points] + [1])
    step = width / max(len(points), 1)
    return [Bar(label, value, i * step + step * 0.15, height - value / top * height,
                step * 0.7, value / top * height) for i, (label, value) in enumerate(points)]


@dataclass(frozen=True)
class Group:
    """One group of bars (a quarter), one bar per series (a kind)."""

    label: str
    x: float
    bars: list[Bar]


def grouped(labels: list[str], series: list[str], values: dict[tuple[str, str], int],
            width: float = 600, height: float = 160) -> list[Group]:
    """Grouped vertical bars, all scaled to the largest value."""
    top = max([*values.values(), 1])
    step = width / max(len(labels), 1)
    bar = step * 0.8 / max(len(series), 1)
    groups = []
    for i, label in enumerate(labels):
        x0 = i * step + step * 0.1
        groups.append(Group(label, x0 + step * 0.4, [
            Bar(name, values.get((label, name), 0), x0 + j * bar, height
                - values.get((label, name), 0) / top * height, bar * 0.9,
                values.get((label, name), 0) / top * height)
            for j, name in enumerate(series)]))
    return groups


def _week(moment: str) -> str:
    local = datetime.fromisoformat(moment).astimezone(COPENHAGEN) if "T" in moment else \
        date.fromisoformat(moment)
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


def _quarter(day: str) -> str:
    return f"{day[:4]} K{(int(day[5:7]) - 1) // 3 + 1}"


@router.get("/dashboard")
def dashboard(request: Request, svc: Svc, who: Annotated[Principal, allow(*READERS)],
              at: Annotated[ViewsAt, Depends(reading(*All))],
              municipality: Annotated[str | None, Query(pattern=r"^\d{3}$")] = None,
              ) -> Response:
    """Contacts per week, people per company, the funnel and placements by kind."""
    lang = language(request)
    o = at.prefix("overview")
    codes = visible_municipalities(who, municipality)
    clause, params = in_clause("c.municipality", codes)
    today = svc.clock().date()
    since = today - timedelta(weeks=WEEKS)
    contacts = svc.views.query(
        f"SELECT x.occurred_at FROM {o}contacts x JOIN {o}companies c ON "
        f"c.company_id = x.company_id WHERE {clause} AND x.occurred_at >= %s",
        (*params, since.isoformat()))
    per_week = Counter(_week(r[0]) for r in contacts)
    weeks = [_week((since + timedelta(weeks=i + 1)).isoformat()) for i in range(WEEKS)]
    actors = svc.views.query(
        f"SELECT c.name, COUNT(DISTINCT x.staff_id) FROM {o}contacts x JOIN {o}companies c "
        f"ON c.company_id = x.company_id WHERE {clause} AND x.occurred_at >= %s "
        "GROUP BY c.name ORDER BY 2 DESC, c.name LIMIT 15",
        (*params, (today - timedelta(days=90)).isoformat()))
    [(referrals,)] = svc.views.query(
        f"SELECT COUNT(*) FROM {o}referrals x JOIN {o}companies c ON "
        f"c.company_id = x.company_id WHERE {clause}", params)
    placements = svc.views.query(
        f"SELECT x.kind, x.starts_on, x.ended_on FROM {o}placements x JOIN {o}companies c "
        f"ON c.company_id = x.company_id WHERE {clause}", params)
    funnel = [(translate("dash.referrals", lang), int(referrals)),
              (translate("dash.placements", lang), len(placements))]
    for weeks_in in RETENTION:
        funnel.append((translate(f"dash.retained{weeks_in}", lang), sum(
            1 for _, starts, ended in placements
            if date.fromisoformat(starts) + timedelta(weeks=weeks_in) <= today
            and (ended is None or date.fromisoformat(ended) >= date.fromisoformat(starts)
                 + timedelta(weeks=weeks_in)))))
    quarters = sorted({_quarter(r[1]) for r in placements})[-6:]
    by_kind = Counter((_quarter(r[1]), r[0]) for r in placements)
    kinds = [(k.value, translate(f"placement.{k.value}", lang)) for k in PlacementKind]
    return page(
        request, "dashboard.html", who=who,
        municipalities=sorted(who.municipalities), chosen=municipality or "",
        weeks=bars([(w, per_week.get(w, 0)) for w in weeks]),
        actors=[(str(r[0]), int(r[1])) for r in actors],
        funnel=bars(funnel), quarters=quarters, kinds=kinds,
        by_kind=grouped(quarters, [k for k, _ in kinds],
                        {(q, k): n for (q, k), n in by_kind.items()}),
        kind_table=[(q, [by_kind.get((q, k), 0) for k, _ in kinds]) for q in quarters])
