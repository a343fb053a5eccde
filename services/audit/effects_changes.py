"""What changed in an effect statement since an earlier one of the same contract and
period: every figure that moved, per company, as a line of its own (a fall is a credit
line), never a rewrite of the earlier statement, which still replays at its position."""

from __future__ import annotations

from typing import Any

COMPANY_FIGURES = (
    "placements_started",
    "internships",
    "durable_jobs",
    "amount_ore",
    "above_baseline",
)
TOTAL_FIGURES = ("placements_started", "durable_jobs", "amount_ore")


def _figures(company: dict[str, Any]) -> dict[str, int]:
    """A company's counted figures, flat: `milestones.26_weeks`, `still_employed.13_weeks`."""
    flat = {name: int(company[name]) for name in COMPANY_FIGURES}
    for milestone, count in company["milestones"].items():
        flat[f"milestones.{milestone}"] = int(count)
    for weeks, count in company["still_employed"].items():
        flat[f"still_employed.{weeks}"] = int(count)
    return flat


def changes_since(earlier: dict[str, Any], now: dict[str, Any]) -> dict[str, Any]:
    """The lines by which `now` differs from `earlier`, in CVR and figure order, and the
    change of each total."""
    was = {c["cvr"]: _figures(c) for c in earlier["companies"]}
    is_ = {c["cvr"]: _figures(c) for c in now["companies"]}
    lines = []
    for cvr in sorted(was.keys() | is_.keys()):
        before, after = was.get(cvr, {}), is_.get(cvr, {})
        for figure in sorted(before.keys() | after.keys()):
            old, new = before.get(figure, 0), after.get(figure, 0)
            if old != new:
                lines.append(
                    {"cvr": cvr, "figure": figure, "was": old, "now": new, "change": new - old}
                )
    return {
        "since": earlier["position"],
        "since_digest": earlier["digest"],
        "lines": lines,
        "totals": {
            name: int(now["totals"][name]) - int(earlier["totals"][name]) for name in TOTAL_FIGURES
        },
    }
