"""Placement facts of one municipality, folded from Company events in log order."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

from domain.company import Company
from domain.outcomes import PlacementFacts, Segment
from domain.programme import Participation, admitted
from domain.rules import RuleBook

# The Company events that decide outcomes (the ledger reads only these).
FACT_EVENTS: tuple[type[Any], ...] = (
    Company.Registered,
    Company.PlacementStarted,
    Company.PlacementChanged,
    Company.PlacementEnded,
    Company.ProgrammeJoined,
    Company.ProgrammeLeft,
)


def proof_of(event: Any) -> str:
    """How a ledger names the event that proves a fact: `<stream id>:<version>`."""
    return f"{event.originator_id}:{event.originator_version}"


class FactBook:
    """The placements of every company, as their events tell it."""

    def __init__(self) -> None:
        self.companies: dict[UUID, tuple[str, str]] = {}  # id -> (CVR, municipality)
        self.placements: dict[UUID, PlacementFacts] = {}
        self.participations: dict[UUID, list[Participation]] = {}  # per company, oldest first

    def apply(self, event: Any) -> None:
        """Fold one Company event (other kinds are ignored)."""
        if isinstance(event, Company.Registered):
            self.companies[event.originator_id] = (event.cvr, event.municipality)
            return
        if isinstance(event, Company.ProgrammeJoined):
            joined = Participation(event.contract_id, event.programme, event.joined_on)
            self.participations.setdefault(event.originator_id, []).append(joined)
            return
        if isinstance(event, Company.ProgrammeLeft):
            periods = self.participations[event.originator_id]
            periods[-1] = replace(periods[-1], left_on=event.left_on)
            return
        cvr = self.companies.get(event.originator_id, ("", ""))[0]
        if isinstance(event, Company.PlacementStarted):
            facts = PlacementFacts(event.placement_id, event.originator_id, cvr, event.candidate_id)
            facts.change(
                Segment(event.starts_on, event.kind, event.hours_per_week, proof_of(event))
            )
            self.placements[event.placement_id] = facts
        elif (p := self.placements.get(event.placement_id)) is None:
            return  # a placement the log never started (not possible through commands)
        elif isinstance(event, Company.PlacementChanged):
            p.change(Segment(event.effective_on, event.kind, event.hours_per_week, proof_of(event)))
        elif isinstance(event, Company.PlacementEnded):
            p.end(event.ends_on, proof_of(event))

    def facts(self, municipality: str) -> list[PlacementFacts]:
        """The placements at companies of this municipality, ordered by id (so the
        order in which their events arrived never matters)."""
        return [
            self.placements[k]
            for k in sorted(self.placements)
            if self.companies.get(self.placements[k].company_id, ("", ""))[1] == municipality
        ]

    def programme_facts(
        self, municipality: str, contract_id: UUID, book: RuleBook
    ) -> list[PlacementFacts]:
        """The placements a programme contract counts (see domain.programme)."""
        return admitted(self.facts(municipality), self.participations, contract_id, book)
