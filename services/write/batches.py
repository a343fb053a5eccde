"""The group committer's batch as it is decided: each command's pending answer, what
was decided, refused or put off, and the events to write (the writer thread only)."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from services.errors import ANY_VERSION
from services.write.command import Command, CommandResult


@dataclass
class Pending:
    """A command queued, and the future its caller waits on."""

    command: Command
    future: Future[CommandResult] = field(default_factory=Future)


@dataclass(frozen=True)
class Decided:
    """What a command decided: its aggregate's new version and the answer's body."""

    version: int
    body: dict[str, Any]

    def response(self, target: UUID) -> dict[str, Any]:
        return {"aggregate_id": str(target), "version": self.version, **self.body}


@dataclass
class Batch:
    """A batch as decided: in decision order, with the events to write."""

    working: dict[UUID, Aggregate] = field(default_factory=dict)
    decided: list[tuple[Pending, Decided]] = field(default_factory=list)
    refused: list[tuple[Pending, Exception]] = field(default_factory=list)
    deferred: list[Pending] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)


class RetryAlone(Exception):
    """A decision failed in a way that may have left its aggregate half-changed."""


def version_of(agg: Aggregate | None) -> int:
    """The aggregate's version; 0 for none."""
    return agg.version if agg is not None else 0


def matches(agg: Aggregate | None, expected: int) -> bool:
    """Whether If-Match's version (or `*`, any existing version) holds."""
    if expected == ANY_VERSION:
        return agg is not None
    return version_of(agg) == expected
