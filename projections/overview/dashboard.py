"""The statements of a municipality dashboard's figures, from the overview's tables: each
over the companies of `municipalities`."""

from __future__ import annotations

from collections.abc import Sequence

from projections.base import Statement, among

_OF = "JOIN {o}companies c ON c.company_id = x.company_id WHERE {clause}"


def contacts_since(o: str, municipalities: Sequence[str], since: str) -> Statement:
    """When each contact since `since` took place (one row per contact)."""
    clause, codes = among("c.municipality", municipalities)
    return (
        f"SELECT x.occurred_at FROM {o}contacts x {_OF.format(o=o, clause=clause)} "
        "AND x.occurred_at >= %s",
        (*codes, since),
    )


def actors_since(o: str, municipalities: Sequence[str], since: str, limit: int) -> Statement:
    """The `limit` companies contacted by the most people since `since`: name, people."""
    clause, codes = among("c.municipality", municipalities)
    return (
        f"SELECT c.name, COUNT(DISTINCT x.staff_id) FROM {o}contacts x "
        f"{_OF.format(o=o, clause=clause)} AND x.occurred_at >= %s "
        "GROUP BY c.name ORDER BY 2 DESC, c.name LIMIT %s",
        (*codes, since, limit),
    )


def referrals(o: str, municipalities: Sequence[str]) -> Statement:
    """How many candidates have been referred (one row)."""
    clause, codes = among("c.municipality", municipalities)
    return f"SELECT COUNT(*) FROM {o}referrals x {_OF.format(o=o, clause=clause)}", codes


def placements(o: str, municipalities: Sequence[str]) -> Statement:
    """Every placement: kind, start date, end date (None while it runs)."""
    clause, codes = among("c.municipality", municipalities)
    return (
        f"SELECT x.kind, x.starts_on, x.ended_on FROM {o}placements x "
        f"{_OF.format(o=o, clause=clause)}",
        codes,
    )
