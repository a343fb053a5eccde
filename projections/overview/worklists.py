"""The statements of the work lists kept in the overview's tables: a person's caseload,
the handover queue and the follow-ups due (`d`: the directory's prefix, for names)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from projections.base import Statement, among
from projections.overview.company import OPEN_FOLLOW_UPS

# Open work per company: (openings, referrals awaiting an answer, people in placement,
# follow-ups not held), from the company's counters and its open follow-ups per due date,
# as the overview's totals are (no row of a list is counted).
_OPEN_WORK = (
    "c.open_openings_total, c.referrals_in_flight_total, c.in_placement_total, "
    + OPEN_FOLLOW_UPS.format(o="{o}", company="c.company_id", dated="")
)


def caseload(o: str, staff_id: str) -> Statement:
    """The companies whose contact person is `staff_id`, by name: CVR, name, contact
    since, last contact, the programme it takes part in and since when, open work."""
    return (
        f"SELECT c.cvr, c.name, c.contact_since, (SELECT MAX(x.occurred_at) FROM "
        f"{o}contacts x WHERE x.company_id = c.company_id), c.programme, c.programme_since, "
        + _OPEN_WORK.format(o=o)
        + f" FROM {o}companies c WHERE c.contact_person = %s ORDER BY c.name, c.cvr",
        (staff_id,),
    )


def handover_queue(o: str, d: str, today: str, municipalities: Sequence[str]) -> Statement:
    """The companies of `municipalities` whose contact person had left by `today`,
    longest waiting first: CVR, name, municipality, the person's id, name and departure
    date, open work."""
    # Gone means gone by today: a departure dated later leaves the company with its
    # contact person until that day.
    clause, codes = among("c.municipality", municipalities)
    return (
        "SELECT c.cvr, c.name, c.municipality, s.staff_id, s.name, s.left_on, "
        + _OPEN_WORK.format(o=o)
        + f" FROM {o}companies c JOIN {d}staff s ON s.staff_id = c.contact_person "
        f"WHERE s.left_on IS NOT NULL AND s.left_on <= %s AND {clause} "
        "ORDER BY s.left_on, c.name, c.cvr",
        (today, *codes),
    )


def follow_ups_due(
    o: str, d: str, until: str, municipalities: Sequence[str], contact_person: str | None = None
) -> Statement:
    """The follow-ups not held and due by `until` of the companies of `municipalities`
    (of one contact person's, if given), by due date and company: the contact person's
    id, name and departure date, CVR, company name, follow-up, placement, due date."""
    clause, codes = among("c.municipality", municipalities)
    where = f" AND {clause}"
    params: list[Any] = [until, *codes]
    if contact_person is not None:
        where += " AND c.contact_person = %s"
        params.append(contact_person)
    return (
        "SELECT c.contact_person, s.name, s.left_on, c.cvr, c.name, f.follow_up_id, "
        f"f.placement_id, f.due_on FROM {o}follow_ups f JOIN {o}companies c "
        f"ON c.company_id = f.company_id LEFT JOIN {d}staff s ON "
        f"s.staff_id = c.contact_person WHERE f.status IS NULL AND f.due_on <= %s{where} "
        "ORDER BY f.due_on, c.name, f.follow_up_id",
        params,
    )
