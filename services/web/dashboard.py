"""The municipality dashboard: coordination, the placement funnel and kinds over time,
as accessible SVG charts with the same numbers as tables."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from domain.values import PlacementKind
from services.http.access import READERS, allow, visible_municipalities
from services.http.auth import Principal
from services.http.reading import All, reading
from services.read.projections_at import ProjectionsAt
from services.read.queries.dashboard import figures
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
    return [
        Bar(
            label,
            value,
            i * step + step * 0.15,
            height - value / top * height,
            step * 0.7,
            value / top * height,
        )
        for i, (label, value) in enumerate(points)
    ]


@dataclass(frozen=True)
class Group:
    """One group of bars (a quarter), one bar per series (a kind)."""

    label: str
    x: float
    bars: list[Bar]


def grouped(
    labels: list[str],
    series: list[str],
    values: dict[tuple[str, str], int],
    width: float = 600,
    height: float = 160,
) -> list[Group]:
    """Grouped vertical bars, all scaled to the largest value."""
    top = max([*values.values(), 1])
    step = width / max(len(labels), 1)
    bar = step * 0.8 / max(len(series), 1)
    groups = []
    for i, label in enumerate(labels):
        x0 = i * step + step * 0.1
        groups.append(
            Group(
                label,
                x0 + step * 0.4,
                [
                    Bar(
                        name,
                        values.get((label, name), 0),
                        x0 + j * bar,
                        height - values.get((label, name), 0) / top * height,
                        bar * 0.9,
                        values.get((label, name), 0) / top * height,
                    )
                    for j, name in enumerate(series)
                ],
            )
        )
    return groups


def _quarter(day: str) -> str:
    return f"{day[:4]} K{(int(day[5:7]) - 1) // 3 + 1}"


@router.get("/dashboard")
def dashboard(
    request: Request,
    who: Annotated[Principal, allow(*READERS)],
    at: Annotated[ProjectionsAt, Depends(reading(*All))],
    municipality: Annotated[str | None, Query(pattern=r"^\d{3}$")] = None,
) -> Response:
    """Contacts per week, people per company, the funnel and placements by kind."""
    lang = language(request)
    shown = figures(at, visible_municipalities(who, municipality), WEEKS)
    funnel = [
        (translate("dash.referrals", lang), shown.referrals),
        (translate("dash.placements", lang), len(shown.placements)),
    ]
    for weeks_in in RETENTION:
        funnel.append((translate(f"dash.retained{weeks_in}", lang), shown.retained(weeks_in)))
    quarters = sorted({_quarter(p.starts_on) for p in shown.placements})[-6:]
    by_kind = Counter((_quarter(p.starts_on), p.kind) for p in shown.placements)
    kinds = [(k.value, translate(f"placement.{k.value}", lang)) for k in PlacementKind]
    return page(
        request,
        "dashboard.html",
        who=who,
        municipalities=sorted(who.municipalities),
        chosen=municipality or "",
        weeks=bars(shown.weeks),
        actors=shown.actors,
        funnel=bars(funnel),
        quarters=quarters,
        kinds=kinds,
        by_kind=grouped(
            quarters, [k for k, _ in kinds], {(q, k): n for (q, k), n in by_kind.items()}
        ),
        kind_table=[(q, [by_kind.get((q, k), 0) for k, _ in kinds]) for q in quarters],
    )
