"""A company's state on two time axes, folded from its events on demand.

`known_at` is recording time: only events recorded by then count ("what did we
know at T"). `as_of` is business time: of those, only facts dated on or before
it count ("what had happened by D"). A placement started after D is not yet
there; an end or a change dated after D has not happened yet; a contact logged
late but dated before D is there.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
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


def day_of(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


@dataclass
class CompanyHistory:
    """Everything `fold_state` needs, for any business date: dated facts keep their dates.

    Folded from the events recorded by some time (a snapshot), it answers
    `at(as_of)` for every `as_of` exactly as `fold_state` of the same events does,
    and it continues with later events; it is stored as JSON (`to_json`).
    """

    version: int = 0
    cvr: str = ""
    name: str = ""
    municipality: str = ""
    contact_person: str | None = None
    contact_days: dict[str, int] = field(default_factory=dict)  # business day -> contacts
    openings: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Per referral, placement and follow-up: its undated facts, and its dated ones as
    # [date, ...] in log order (answers; changes and ends; completions).
    referrals: dict[str, dict[str, Any]] = field(default_factory=dict)
    placements: dict[str, dict[str, Any]] = field(default_factory=dict)
    follow_ups: dict[str, dict[str, Any]] = field(default_factory=dict)

    def apply(self, e: Any) -> None:  # noqa: PLR0912
        """Take in the next event of the company's stream."""
        self.version = e.originator_version
        kind = event_kind(e).removeprefix("company.")
        if kind == "registered":
            self.cvr, self.name, self.municipality = e.cvr, e.name, e.municipality
        elif kind == "details_changed":
            self.name = e.name
        elif kind == "contact_person_assigned":
            self.contact_person = str(e.staff_id)
        elif kind == "contact_logged":
            day = day_of(e.occurred_at).isoformat()
            self.contact_days[day] = self.contact_days.get(day, 0) + 1
        elif kind == "opening_registered":
            self.openings[str(e.opening_id)] = {"title": e.title, "open": True}
        elif kind == "opening_closed":
            self.openings[str(e.opening_id)]["open"] = False
        elif kind == "candidate_referred":
            self.referrals[str(e.referral_id)] = {
                "candidate_id": str(e.candidate_id),
                "opening_id": str(e.opening_id),
                "answers": [],
            }
        elif kind == "referral_answered":
            self.referrals[str(e.referral_id)]["answers"].append([plain(e.answered_on), e.outcome])
        elif kind == "placement_started":
            self.placements[str(e.placement_id)] = {
                "candidate_id": str(e.candidate_id),
                "kind": e.kind,
                "hours_per_week": e.hours_per_week,
                "starts_on": plain(e.starts_on),
                "later": [],
            }
        elif kind == "placement_changed" and str(e.placement_id) in self.placements:
            self.placements[str(e.placement_id)]["later"].append(
                [plain(e.effective_on), "changed", e.kind, e.hours_per_week]
            )
        elif kind == "placement_ended" and str(e.placement_id) in self.placements:
            self.placements[str(e.placement_id)]["later"].append([plain(e.ends_on), "ended"])
        elif kind == "follow_up_scheduled":
            self.follow_ups[str(e.follow_up_id)] = {
                "placement_id": str(e.placement_id),
                "due_on": plain(e.due_on),
                "held": [],
            }
        elif kind == "follow_up_completed":
            self.follow_ups[str(e.follow_up_id)]["held"].append([plain(e.held_on), e.status])

    def at(self, as_of: date) -> CompanyState:
        """The state about business date `as_of` (as `fold_state` gives it)."""
        day = as_of.isoformat()
        dated = [d for d in self.contact_days if d <= day]
        state = CompanyState(
            cvr=self.cvr,
            name=self.name,
            municipality=self.municipality,
            version=self.version,
            contact_person=self.contact_person,
            contacts=sum(self.contact_days[d] for d in dated),
            last_contact_on=max(dated) if dated else None,
            openings={k: dict(v) for k, v in self.openings.items()},
        )
        for key, r in self.referrals.items():
            outcome = None
            for answered_on, answer in r["answers"]:
                if answered_on <= day:
                    outcome = answer
            state.referrals[key] = {
                "candidate_id": r["candidate_id"],
                "opening_id": r["opening_id"],
                "outcome": outcome,
            }
        for key, p in self.placements.items():
            if p["starts_on"] > day:
                continue
            placement = {
                "candidate_id": p["candidate_id"],
                "kind": p["kind"],
                "hours_per_week": p["hours_per_week"],
                "starts_on": p["starts_on"],
                "ended_on": None,
            }
            for fact in p["later"]:
                if fact[0] > day:
                    continue
                if fact[1] == "changed":
                    placement.update(kind=fact[2], hours_per_week=fact[3])
                else:
                    placement["ended_on"] = fact[0]
            state.placements[key] = placement
        for key, f in self.follow_ups.items():
            status = None
            for held_on, held in f["held"]:
                if held_on <= day:
                    status = held
            state.follow_ups[key] = {
                "placement_id": f["placement_id"],
                "due_on": f["due_on"],
                "status": status,
            }
        return state

    def to_json(self) -> str:
        """The snapshot's stored form."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> CompanyHistory:
        """A snapshot read back."""
        return cls(**json.loads(text))
