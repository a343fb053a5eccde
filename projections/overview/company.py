"""The statements of a company's overview: its head, contact persons, recent contacts
and lists, each list a page at a time with its total."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from projections.base import Statement, utc_text
from projections.candidates import erased_sql
from projections.overview.projection import TOTALS

DUE_DAYS = 14  # follow-ups due within this many days are "due"


@dataclass(frozen=True)
class _List:
    """One list of the overview: its query (without ORDER/LIMIT) and its order."""

    select: str
    where: str
    order: str
    dated: str = ""  # a condition on today's date, for the follow-up lists (and totals)


# The lists of the overview, most useful first. Each shows its first entries and its
# total; GET /companies/{cvr}/overview/{list} pages through the rest.
LISTS: dict[str, _List] = {
    "open_openings": _List(
        "SELECT x.opening_id, x.title, x.hours_per_week, x.positions, x.kinds FROM {o}openings x",
        "x.company_id = %s AND x.open = 1",
        "x.opening_id",
    ),
    "referrals_in_flight": _List(
        "SELECT x.referral_id, x.opening_id, x.candidate_id, x.referred_at, "
        "x.health_clarified, x.motivation_clarified, {erased} AS candidate_erased "
        "FROM {o}referrals x",
        "x.company_id = %s AND x.outcome IS NULL",
        "x.referred_at, x.referral_id",
    ),
    "in_placement": _List(
        "SELECT x.placement_id, x.candidate_id, x.kind, x.hours_per_week, x.starts_on, "
        "(SELECT MIN(f.due_on) FROM {o}follow_ups f WHERE f.placement_id = x.placement_id "
        "AND f.status IS NULL) AS next_follow_up, {erased} AS candidate_erased "
        "FROM {o}placements x",
        "x.company_id = %s AND x.ended_on IS NULL",
        "x.starts_on DESC, x.placement_id",
    ),
    "follow_ups_overdue": _List(
        "SELECT x.follow_up_id, x.placement_id, x.due_on, x.scheduled_by FROM {o}follow_ups x",
        "x.company_id = %s AND x.status IS NULL",
        "x.due_on, x.follow_up_id",
        "AND due_on < %s",
    ),
    "follow_ups_due": _List(
        "SELECT x.follow_up_id, x.placement_id, x.due_on, x.scheduled_by FROM {o}follow_ups x",
        "x.company_id = %s AND x.status IS NULL",
        "x.due_on, x.follow_up_id",
        "AND due_on >= %s AND due_on <= %s",
    ),
    "commitments": _List(
        "SELECT x.commitment_id, x.description, x.target_hires, x.by_date, x.agreed_on, "
        "(SELECT COUNT(*) FROM {o}placements p WHERE p.company_id = x.company_id "
        "AND p.starts_on >= x.agreed_on AND p.starts_on <= x.by_date) AS actual_hires "
        "FROM {o}commitments x",
        "x.company_id = %s",
        "x.by_date, x.commitment_id",
    ),
}
ListName = Literal[
    "open_openings",
    "referrals_in_flight",
    "in_placement",
    "follow_ups_overdue",
    "follow_ups_due",
    "commitments",
]
DATED = ("follow_ups_overdue", "follow_ups_due")  # the lists whose totals depend on today
HEAD_COUNTS = (*TOTALS, *DATED)
"""The head's counts, in its column order after name, municipality, cap and contact
person."""
# How many follow-ups a company has open (due on days that `dated` picks): the sum of its
# open follow-ups per due date, a few rows where there may be thousands. The totals of the
# dated lists, and the open work of caseloads and the handover queue.
OPEN_FOLLOW_UPS = (
    "(SELECT COALESCE(SUM(f.follow_ups), 0) FROM {o}open_follow_ups f "
    "WHERE f.company_id = {company} {dated})"
)


class CompanyStatements:
    """The overview's statements for one company, as of `today` (`o`, `d`, `k`: the
    overview, directory and candidates read models' active prefixes)."""

    def __init__(self, o: str, d: str, k: str, company_id: str, today: date) -> None:
        self.o, self.d = o, d
        self.stream, self.today = company_id, today
        self.erased = erased_sql(k, "x.candidate_id")

    def _raw(self, statement: str, params: tuple[Any, ...]) -> Statement:
        return statement.format(o=self.o, d=self.d, erased=self.erased), params

    def _rows(self, statement: str, *params: Any) -> Statement:
        return self._raw(statement, (self.stream, *params))

    def known(self) -> Statement:
        """One row if the company is in the overview, none if not."""
        return self._rows("SELECT 1 FROM {o}companies WHERE company_id = %s")

    def head(self) -> Statement:
        """The company's row with its stored totals, and the follow-ups overdue and due
        as of today (counted: they depend on the day); columns: `HEAD_COUNTS`."""
        counts, params = self._counts(list(DATED))
        return self._raw(
            "SELECT c.name, c.municipality, c.max_contacts_per_month, c.contact_person, "
            "c.programme_contract, c.programme, c.programme_since, "
            + ", ".join(f"c.{total}" for total in TOTALS)
            + ", "
            + ", ".join(counts)
            + " FROM {o}companies c WHERE c.company_id = %s",
            (*params, self.stream),
        )

    def contacts_by_person(self, now: datetime) -> Statement:
        """Per person, their contacts of the last 30 days and how many of those were in
        the last 7 (few rows: one per person)."""
        return self._raw(
            "SELECT staff_id, COUNT(*), SUM(CASE WHEN occurred_at >= %s THEN 1 ELSE 0 END) "
            "FROM {o}contacts WHERE company_id = %s AND occurred_at >= %s GROUP BY staff_id",
            (utc_text(now - timedelta(days=7)), self.stream, utc_text(now - timedelta(days=30))),
        )

    def holders(self, limit: int) -> Statement:
        """The newest `limit` contact persons: staff id, since, reason, handover note,
        previous staff id, and the names, departure dates and units of both."""
        return self._rows(
            "SELECT h.staff_id, h.since, h.reason, h.handover_note, "
            "h.previous_staff_id, s.name, s.left_on, p.name, p.left_on, s.unit, p.unit "
            "FROM {o}holders h LEFT JOIN {d}staff s ON s.staff_id = h.staff_id "
            "LEFT JOIN {d}staff p ON p.staff_id = h.previous_staff_id "
            "WHERE h.company_id = %s ORDER BY h.position DESC LIMIT %s",
            limit,
        )

    def last_contact(self) -> Statement:
        """The newest contact: staff id, unit, channel, occurred_at, summary, and the
        person's name and departure date."""
        return self._rows(
            "SELECT c.staff_id, c.unit, c.channel, c.occurred_at, c.summary, "
            "s.name, s.left_on FROM {o}contacts c LEFT JOIN {d}staff s "
            "ON s.staff_id = c.staff_id WHERE c.company_id = %s "
            # Business time, then the log: of contacts at one time, the one logged last.
            # (Rows of a release before `position` hold NULL: then the contact's id.)
            "ORDER BY c.occurred_at DESC, COALESCE(c.position, 0) DESC, c.contact_id DESC "
            "LIMIT 1"
        )

    def entries(self, list_name: str, limit: int, offset: int = 0) -> Statement:
        """A page of one list (its rows: `list_entries`)."""
        part = LISTS[list_name]
        statement = (
            f"{part.select} WHERE {part.where} {part.dated} ORDER BY {part.order} "
            "LIMIT %s OFFSET %s"
        )
        return self._rows(statement, *self._dated(part), limit, offset)

    def totals(self, names: list[str]) -> Statement:
        """How many entries each list has, in one statement (one row, in `names` order)."""
        counts, params = self._counts(names)
        return self._raw("SELECT " + ", ".join(counts), tuple(params))

    def _dated(self, part: _List) -> tuple[Any, ...]:
        if not part.dated:
            return ()
        if part.dated.count("%s") == 1:
            return (self.today.isoformat(),)
        return (self.today.isoformat(), (self.today + timedelta(days=DUE_DAYS)).isoformat())

    def _counts(self, names: list[str]) -> tuple[list[str], list[Any]]:
        counts, params = [], []
        for list_name in names:
            part = LISTS[list_name]
            if list_name in DATED:
                counts.append(OPEN_FOLLOW_UPS.format(o="{o}", company="%s", dated=part.dated))
            else:
                table = part.select.rsplit(" FROM ", 1)[1]
                counts.append(f"(SELECT COUNT(*) FROM {table} WHERE {part.where} {part.dated})")
            params += [self.stream, *self._dated(part)]
        return counts, params


def list_entries(list_name: str, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The entries of one list's page, from its rows, by column name."""
    names = _columns(LISTS[list_name].select)
    return [_decode(dict(zip(names, row, strict=True))) for row in rows]


@functools.cache
def _columns(statement: str) -> list[str]:
    """Result names: the alias after AS, else the column (top-level select list only)."""
    select = statement.split("SELECT", 1)[1]
    names, depth, current = [], 0, ""
    for ch in select:
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and ch == ",":
            names.append(current)
            current = ""
        elif depth == 0 and current.rstrip().endswith(" FROM"):
            break
        else:
            current += ch
    names.append(current.rsplit(" FROM", 1)[0])
    return [n.strip().split(" AS ")[-1].split(".")[-1] for n in names]


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    if "kinds" in row:
        row["kinds"] = json.loads(row["kinds"])["kinds"]
    for flag in ("health_clarified", "motivation_clarified", "candidate_erased"):
        if flag in row:
            row[flag] = bool(row[flag])
    return row
