"""A page of a company's timeline: its events newest first, with who and when."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from pydantic import BaseModel

from domain.errors import CompanyNotFoundError
from domain.values import company_id, normalise_cvr
from infra.clock import COPENHAGEN
from projections import directory, timeline
from projections.base import Rows, Statement
from projections.candidates import erased_among, mark_erased
from services.read.projections_at import ProjectionsAt
from services.read.queries.people import StaffPerson, staff_person

TIMELINE_VIEWS = ("timeline", "directory", "candidates")
"""The read models a timeline page joins."""


class TimelineEntry(BaseModel):
    position: int
    version: int
    kind: str
    occurred_at: str
    recorded_at: str
    actor: StaffPerson | None
    data: dict[str, Any]
    replaces: dict[str, Any] | None = None


class TimelinePage(BaseModel):
    entries: list[TimelineEntry]
    next_cursor: int | None


@dataclass(frozen=True)
class TimelineFilters:
    """Which of a company's events a page shows (each filter if given)."""

    kind: str | None = None
    actor: str | None = None
    from_: date | None = None
    to: date | None = None
    cursor: int | None = None
    limit: int = 50


def timeline_page(at: ProjectionsAt, cvr: str, filters: TimelineFilters) -> TimelinePage:
    """A page of the company's timeline."""
    read = TimelineRead(at, cvr, filters)
    second = read.take_page(at.read(TIMELINE_VIEWS, read.page))
    if second is not None:
        read.take_originals(at.read(TIMELINE_VIEWS, second))
    return read.result()


async def timeline_page_async(
    at: ProjectionsAt, cvr: str, filters: TimelineFilters
) -> TimelinePage:
    """`timeline_page`, read on the event loop (on PostgreSQL no hop to a worker thread)."""
    read = TimelineRead(at, cvr, filters)
    second = read.take_page(await at.read_async(TIMELINE_VIEWS, read.page))
    if second is not None:
        read.take_originals(await at.read_async(TIMELINE_VIEWS, second))
    return read.result()


class TimelineRead:
    """One read of a timeline page: the page (one round trip on PostgreSQL), then one
    more when the page has corrections (they show the contact as first logged) or
    entries that name candidates (they say whether those were erased). The second is a
    moment after the page's, outside the web page's one transaction: what it reads
    never changes, except that a candidate may since have been erased, which is then
    shown."""

    def __init__(self, at: ProjectionsAt, cvr: str, filters: TimelineFilters) -> None:
        self.cvr = normalise_cvr(cvr)
        self.stream = str(company_id(self.cvr))
        self.filters = filters
        self.today = at.today()
        self.entries: list[TimelineEntry] = []
        self.more = False

    def page(self, prefix: Callable[[str], str]) -> list[Statement]:
        """Whether the company is known, and the page's entries (one more than shown,
        to tell whether there are more)."""
        f, d = self.filters, prefix("directory")
        return [
            directory.company_known(d, self.stream),
            timeline.page(
                prefix("timeline"),
                d,
                self.stream,
                kind=f.kind,
                actor=f.actor,
                since=None if f.from_ is None else _day_starts(f.from_),
                before=None if f.to is None else _next_day(f.to),
                cursor=f.cursor,
                limit=f.limit + 1,
            ),
        ]

    def take_page(self, rows: Rows) -> Callable[[Callable[[str], str]], list[Statement]] | None:
        """The page from its rows; the statements of the second read, if it needs one."""
        known, entries = rows
        if not known:
            raise CompanyNotFoundError(f"no company with CVR {self.cvr} is registered")
        limit = self.filters.limit
        self.entries = [
            TimelineEntry(
                position=r[0],
                version=r[1],
                kind=r[2],
                occurred_at=r[3],
                recorded_at=r[4],
                actor=None if r[5] is None else staff_person(r[5], r[6], r[7], r[9], self.today),
                data=json.loads(r[8]),
            )
            for r in entries[:limit]
        ]
        self.more = len(entries) > limit
        corrections = self._corrections()
        named = self._named()
        if not corrections and not named:
            return None

        def statements(prefix: Callable[[str], str]) -> list[Statement]:
            contacts = [str(e.data["contact_id"]) for e in corrections]
            return [
                timeline.contacts_as_logged(prefix("timeline"), self.stream, contacts),
                erased_among(prefix("candidates"), named),
            ]

        return statements

    def take_originals(self, rows: Rows) -> None:
        """The contacts as first logged, and the erased candidates, from their rows."""
        logged_rows, erased_rows = rows
        logged = {
            str(data["contact_id"]): data for data in (json.loads(row[0]) for row in logged_rows)
        }
        for entry in self._corrections():
            entry.replaces = logged.get(str(entry.data["contact_id"]))
        mark_erased(self._named(), {str(row[0]) for row in erased_rows})

    def _corrections(self) -> list[TimelineEntry]:
        return [e for e in self.entries if e.kind == "contact_corrected"]

    def _named(self) -> list[dict[str, Any]]:
        return [e.data for e in self.entries if e.data.get("candidate_id")]

    def result(self) -> TimelinePage:
        """The page read."""
        return TimelinePage(
            entries=self.entries, next_cursor=self.entries[-1].position if self.more else None
        )


def _day_starts(day: date) -> str:
    """When a Danish day starts, as stored (UTC ISO text; date-only entries sort with it)."""
    return datetime.combine(day, time(0), COPENHAGEN).astimezone(UTC).isoformat()


def _next_day(day: date) -> str | None:
    return None if day == date.max else _day_starts(date.fromordinal(day.toordinal() + 1))
