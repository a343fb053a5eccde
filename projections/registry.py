"""Every read model casebook keeps."""

from __future__ import annotations

from projections.base import Projection
from projections.candidates import CandidatesProjection
from projections.directory import DirectoryProjection
from projections.notices import NoticesProjection
from projections.overview import OverviewProjection
from projections.timeline import TimelineProjection

PROJECTIONS: tuple[type[Projection], ...] = (
    DirectoryProjection,
    OverviewProjection,
    TimelineProjection,
    CandidatesProjection,
    NoticesProjection,
)
