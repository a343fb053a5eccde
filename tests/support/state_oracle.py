"""The oracle of the bitemporal state: a company's events folded directly, event by event,
to compare `projections.state.CompanyHistory` (the snapshot-friendly fold) with."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from projections.base import event_kind, plain
from projections.state import CompanyState, day_of


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
    elif kind == "contact_logged" and day_of(e.occurred_at) <= as_of:
        s.contacts += 1
        day = day_of(e.occurred_at).isoformat()
        s.last_contact_on = max(s.last_contact_on or day, day)
    elif kind == "opening_registered":
        s.openings[str(e.opening_id)] = {"title": e.title, "open": True}
    elif kind == "opening_closed":
        s.openings[str(e.opening_id)]["open"] = False
    elif kind == "candidate_referred":
        s.referrals[str(e.referral_id)] = {
            "candidate_id": str(e.candidate_id),
            "opening_id": str(e.opening_id),
            "outcome": None,
        }
    elif kind == "referral_answered" and e.answered_on <= as_of:
        s.referrals[str(e.referral_id)]["outcome"] = e.outcome
    elif kind == "placement_started" and e.starts_on <= as_of:
        s.placements[str(e.placement_id)] = {
            "candidate_id": str(e.candidate_id),
            "kind": e.kind,
            "hours_per_week": e.hours_per_week,
            "starts_on": plain(e.starts_on),
            "ended_on": None,
        }
    elif (
        kind == "placement_changed"
        and e.effective_on <= as_of
        and str(e.placement_id) in s.placements
    ):
        s.placements[str(e.placement_id)].update(kind=e.kind, hours_per_week=e.hours_per_week)
    elif kind == "placement_ended" and e.ends_on <= as_of and str(e.placement_id) in s.placements:
        s.placements[str(e.placement_id)]["ended_on"] = plain(e.ends_on)
    elif kind == "follow_up_scheduled":
        s.follow_ups[str(e.follow_up_id)] = {
            "placement_id": str(e.placement_id),
            "due_on": plain(e.due_on),
            "status": None,
        }
    elif kind == "follow_up_completed" and e.held_on <= as_of:
        s.follow_ups[str(e.follow_up_id)]["status"] = e.status
