"""A company's state on two time axes, folded from its events on demand.

`known_at` is recording time: only events recorded by then count ("what did we
know at T"). `as_of` is business time: of those, only facts dated on or before
it count ("what had happened by D"). A placement started after D is not yet
there; an end or a change dated after D has not happened yet; a contact logged
late but dated before D is there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from projections.base import event_kind, plain


@dataclass
class CompanyState:
    """What the company's history says, as known at one time, about one date."""

    cvr: str = ""
    name: str = ""
    municipality: str = ""
    version: int = 0
    contact_person: str | None = None
    contacts: int = 0
    last_contact_on: str | None = None
    openings: dict[str, dict[str, Any]] = field(default_factory=dict)
    referrals: dict[str, dict[str, Any]] = field(default_factory=dict)
    placements: dict[str, dict[str, Any]] = field(default_factory=dict)
    follow_ups: dict[str, dict[str, Any]] = field(default_factory=dict)


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def fold_state(events: Iterable[Any], known_at: datetime, as_of: date) -> CompanyState:
    """Fold the company's events recorded by `known_at` about facts dated by `as_of`."""
    state = CompanyState()
    for e in events:
        if e.timestamp > known_at:
            break
        state.version = e.originator_version
        _apply(state, event_kind(e).removeprefix("company."), e, as_of)
    return state


def _apply(s: CompanyState, kind: str, e: Any, as_of: date) -> None:  # noqa: PLR0912
    if kind == "registered":
        s.cvr, s.name, s.municipality = e.cvr, e.name, e.municipality
    elif kind == "details_changed":
        s.name = e.name
    elif kind == "contact_person_assigned":
        s.contact_person = str(e.staff_id)
    elif kind == "contact_logged" and _day(e.occurred_at) <= as_of:
        s.contacts += 1
        day = _day(e.occurred_at).isoformat()
        s.last_contact_on = max(s.last_contact_on or day, day)
    elif kind == "opening_registered":
        s.openings[str(e.opening_id)] = {"title": e.title, "open": True}
    elif kind == "opening_closed":
        s.openings[str(e.opening_id)]["open"] = False
    elif kind == "candidate_referred":
        s.referrals[str(e.referral_id)] = {"candidate_id": str(e.candidate_id),
                                           "opening_id": str(e.opening_id), "outcome": None}
    elif kind == "referral_answered" and e.answered_on <= as_of:
        s.referrals[str(e.referral_id)]["outcome"] = e.outcome
    elif kind == "placement_started" and e.starts_on <= as_of:
        s.placements[str(e.placement_id)] = {
            "candidate_id": str(e.candidate_id), "kind": e.kind,
            "hours_per_week": e.hours_per_week, "starts_on": plain(e.starts_on),
            "ended_on": None}
    elif kind == "placement_changed" and e.effective_on <= as_of and \
            str(e.placement_id) in s.placements:
        s.placements[str(e.placement_id)].update(kind=e.kind, hours_per_week=e.hours_per_week)
    elif kind == "placement_ended" and e.ends_on <= as_of and \
            str(e.placement_id) in s.placements:
        s.placements[str(e.placement_id)]["ended_on"] = plain(e.ends_on)
    elif kind == "follow_up_scheduled":
        s.follow_ups[str(e.follow_up_id)] = {"placement_id": str(e.placement_id),
                                             "due_on": plain(e.due_on), "status": None}
    elif kind == "follow_up_completed" and e.held_on <= as_of:
        s.follow_ups[str(e.follow_up_id)]["status"] = e.status
