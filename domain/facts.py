"""Placement facts of one municipality, folded from Company events in log order."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.company import Company
from domain.outcomes import PlacementFacts, Segment

# The Company events that decide outcomes (the ledger reads only these).
FACT_EVENTS: tuple[type[Any], ...] = (
    Company.Registered, Company.PlacementStarted, Company.PlacementChanged,
    Company.PlacementEnded)


def proof_of(event: Any) -> str:
    """How a ledger names the event that proves a fact: `<stream id>:<version>`."""
    return f"{event.originator_id}:{event.originator_version}"


class FactBook:
    """The placements of companies of one municipality, as their events tell it."""

    def __init__(self, municipality: str) -> None:
        self.municipality = municipality
        self.companies: dict[UUID, str] = {}  # company id -> CVR, of this municipality
        self.placements: dict[UUID, PlacementFacts] = {}

    def apply(self, event: Any) -> None:
        """Fold one Company event (others, and other municipalities', are ignored)."""
        if isinstance(event, Company.Registered):
            if event.municipality == self.municipality:
                self.companies[event.originator_id] = event.cvr
            return
        cvr = self.companies.get(event.originator_id)
        if cvr is None:
            return
        if isinstance(event, Company.PlacementStarted):
            facts = PlacementFacts(event.placement_id, event.originator_id, cvr,
                                   event.candidate_id)
            facts.change(Segment(event.starts_on, event.kind, event.hours_per_week,
                                 proof_of(event)))
            self.placements[event.placement_id] = facts
        elif isinstance(event, Company.PlacementChanged):
            self.placements[event.placement_id].change(Segment(
                event.effective_on, event.kind, event.hours_per_week, proof_of(event)))
        elif isinstance(event, Company.PlacementEnded):
            self.placements[event.placement_id].end(event.ends_on, proof_of(event))

    def facts(self) -> list[PlacementFacts]:
        """Every placement, ordered by id (the order events arrived in never matters)."""
        return [self.placements[k] for k in sorted(self.placements, key=str)]
