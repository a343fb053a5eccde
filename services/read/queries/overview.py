"""A company's overview: the one-contact-person view, and its lists a page at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from domain.errors import CompanyNotFoundError
from domain.values import company_id, normalise_cvr
from projections.base import Rows, Statement
from projections.overview.company import (
    HEAD_COUNTS,
    LISTS,
    CompanyStatements,
    ListName,
    list_entries,
)
from services.read.projections_at import ProjectionsAt
from services.read.queries.people import Person, StaffPerson, person, staff_person

__all__ = [
    "DEFAULT_CONTACT_CAP",
    "ITEMS",
    "OVERVIEW_VIEWS",
    "Contact",
    "Coordination",
    "Holder",
    "ListName",
    "Overview",
    "OverviewList",
    "OverviewRead",
    "Totals",
    "company_overview",
    "overview_list",
]
DEFAULT_CONTACT_CAP = 4  # contacts per month, when the company has not set its own
ITEMS = 10  # entries per list in the overview, unless ?items= says otherwise
OVERVIEW_VIEWS = ("overview", "directory", "candidates")
"""The read models the overview joins."""


class Holder(BaseModel):
    person: StaffPerson
    since: str
    reason: str
    handover_note: str
    previous: StaffPerson | None


class Contact(BaseModel):
    person: Person
    unit: str
    channel: str
    occurred_at: str
    summary: str


class Coordination(BaseModel):
    contacts_7_days: int
    contacts_30_days: int
    distinct_actors_30_days: int
    from_others_30_days: int
    cap_per_month: int
    cap_is_companys_own: bool
    warning: str | None


class Totals(BaseModel):
    earlier_contact_persons: int
    open_openings: int
    referrals_in_flight: int
    in_placement: int
    follow_ups_overdue: int
    follow_ups_due: int
    commitments: int


class Programme(BaseModel):
    """The outcome contract's programme the company takes part in, and since when."""

    contract_id: str
    name: str
    since: str


class Overview(BaseModel):
    cvr: str
    name: str
    municipality: str
    programme: Programme | None
    contact_person: Holder | None
    earlier_contact_persons: list[Holder]
    last_contact: Contact | None
    coordination: Coordination
    open_openings: list[dict[str, Any]]
    referrals_in_flight: list[dict[str, Any]]
    in_placement: list[dict[str, Any]]
    follow_ups_overdue: list[dict[str, Any]]
    follow_ups_due: list[dict[str, Any]]
    commitments: list[dict[str, Any]]
    totals: Totals


class OverviewList(BaseModel):
    total: int
    offset: int
    entries: list[dict[str, Any]]


def company_overview(at: ProjectionsAt, cvr: str, items: int = ITEMS) -> Overview:
    """The overview of the company with this CVR, the first `items` of each list."""
    read = OverviewRead(at, cvr, items)
    return read.overview(at.read(OVERVIEW_VIEWS, read.statements))


class OverviewRead:
    """One read of a company's overview: every part of the answer as of the same moment
    (one round trip on PostgreSQL: `ProjectionsAt.read_async(OVERVIEW_VIEWS, statements)`),
    then the answer from its rows."""

    def __init__(self, at: ProjectionsAt, cvr: str, items: int) -> None:
        self.cvr, self.items = normalise_cvr(cvr), items
        self.now = at.clock()
        self.stream = str(company_id(self.cvr))
        self.query: CompanyStatements | None = None

    def statements(self, prefix: Callable[[str], str]) -> list[Statement]:
        """The head, the contacts per person, the contact persons, the last contact and
        a page of each list."""
        q = self.query = CompanyStatements(
            prefix("overview"),
            prefix("directory"),
            prefix("candidates"),
            self.stream,
            self.now.date(),
        )
        return [
            q.head(),
            q.contacts_by_person(self.now),
            q.holders(self.items + 1),
            q.last_contact(),
            *(q.entries(list_name, self.items) for list_name in LISTS),
        ]

    def overview(self, rows: Rows) -> Overview:
        """The overview from the rows of `statements`."""
        assert self.query is not None  # (the statements were made)
        head_rows, by_person, holder_rows, contact_rows, *pages = rows
        if not head_rows:
            raise CompanyNotFoundError(f"no company with CVR {self.cvr} is registered")
        name, municipality, cap, contact_person, contract, programme, since, *counts = head_rows[0]
        totals = {
            n.removesuffix("_total"): int(v) for n, v in zip(HEAD_COUNTS, counts, strict=True)
        }
        holder_count = totals.pop("holders")
        holders = [self._holder(r) for r in holder_rows]
        return Overview(
            cvr=self.cvr,
            name=name,
            municipality=municipality,
            contact_person=holders[0] if holders else None,
            earlier_contact_persons=holders[1:],
            last_contact=self._contact(contact_rows),
            coordination=_coordination(cap, contact_person, by_person),
            programme=None
            if contract is None
            else Programme(contract_id=contract, name=programme, since=since),
            totals=Totals(earlier_contact_persons=max(holder_count - 1, 0), **totals),
            **{
                list_name: list_entries(list_name, rows)
                for list_name, rows in zip(LISTS, pages, strict=True)
            },
        )

    def _person(self, staff_id: str, name: str | None, left_on: str | None) -> Person:
        return person(staff_id, name, left_on, self.now.date()) or Person(
            id=staff_id, name=None, left=False
        )

    def _holder(self, r: tuple[Any, ...]) -> Holder:
        return Holder(
            person=staff_person(r[0], r[5], r[6], r[9], self.now.date()),
            since=r[1],
            reason=r[2],
            handover_note=r[3],
            previous=None
            if r[4] is None
            else staff_person(r[4], r[7], r[8], r[10], self.now.date()),
        )

    def _contact(self, rows: list[tuple[Any, ...]]) -> Contact | None:
        if not rows:
            return None
        staff, unit, channel, occurred_at, summary, name, left_on = rows[0]
        return Contact(
            person=self._person(staff, name, left_on),
            unit=unit,
            channel=channel,
            occurred_at=occurred_at,
            summary=summary,
        )


def overview_list(
    at: ProjectionsAt, cvr: str, list_name: str, offset: int, limit: int
) -> OverviewList:
    """One list of the company's overview, `limit` entries from `offset`, with its total."""
    cvr = normalise_cvr(cvr)
    stream, today = str(company_id(cvr)), at.today()

    def statements(prefix: Callable[[str], str]) -> list[Statement]:
        q = CompanyStatements(
            prefix("overview"), prefix("directory"), prefix("candidates"), stream, today
        )
        return [q.known(), q.totals([list_name]), q.entries(list_name, limit, offset)]

    known, [total], rows = at.read(OVERVIEW_VIEWS, statements)
    if not known:
        raise CompanyNotFoundError(f"no company with CVR {cvr} is registered")
    return OverviewList(total=int(total[0]), offset=offset, entries=list_entries(list_name, rows))


def _coordination(
    cap: int | None, contact_person: str | None, by_person: list[tuple[Any, ...]]
) -> Coordination:
    """The last 30 days' contacts against the cap, from (person, contacts in 30 days,
    of them in the last 7) rows."""
    month = sum(int(n) for _, n, _ in by_person)
    week = sum(int(n) for _, _, n in by_person)
    people = len(by_person)
    others = sum(int(n) for staff, n, _ in by_person if staff != contact_person)
    month_cap = cap or DEFAULT_CONTACT_CAP
    warning = None
    if month > month_cap:
        own = "its own" if cap else "the default"
        warning = (
            f"{month} contacts in 30 days from {people} people: "
            f"more than {own} cap of {month_cap} a month"
        )
    return Coordination(
        contacts_7_days=week,
        contacts_30_days=month,
        distinct_actors_30_days=people,
        from_others_30_days=others,
        cap_per_month=month_cap,
        cap_is_companys_own=cap is not None,
        warning=warning,
    )
