"""Coordination notices: what others did at a company, for whoever was its contact person
when they did it, and the statements that read them.

The read model keeps, per company, who became contact person at which log position
(`holders`) and every contact, referral and placement with who logged it
(`activities`). A notice is an activity by someone other than the company's contact
person at the activity's position: it is found when read (the holder is the newest one
before the activity), so that each handler only writes its own row. Which notices a
person has seen is not log data but their own action: `SEEN` keeps, per staff member
and company, the log position up to which they have looked (a log position, so it holds
across rebuilds of this read model).
"""

from __future__ import annotations

from typing import Any

from projections.base import (
    Projection,
    Sql,
    Statement,
    collect_handlers,
    event_kind,
    on,
    utc_text,
)

SEEN = "casebook_notices_seen"
SEEN_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {SEEN} (staff_id TEXT NOT NULL, company_id TEXT NOT NULL, "
    "position BIGINT NOT NULL, PRIMARY KEY (staff_id, company_id))"
)
KINDS = ("contact_logged", "candidate_referred", "placement_started")
"""What makes a notice."""


@collect_handlers
class NoticesProjection(Projection):
    """Contact persons over time, and the contacts, referrals and placements logged."""

    name = "notices"
    tables = (
        "CREATE TABLE IF NOT EXISTS {t}holders (position BIGINT PRIMARY KEY, "
        "company_id TEXT NOT NULL, staff_id TEXT NOT NULL)",
        # A person's periods as contact person; the newest holder before an activity.
        "CREATE INDEX IF NOT EXISTS {t}holders_staff ON {t}holders (staff_id, company_id)",
        "CREATE INDEX IF NOT EXISTS {t}holders_company ON {t}holders (company_id, position)",
        # `detail`: a contact's channel, a placement's kind (a referral has none).
        "CREATE TABLE IF NOT EXISTS {t}activities (position BIGINT PRIMARY KEY, "
        "company_id TEXT NOT NULL, actor_id TEXT NOT NULL, kind TEXT NOT NULL, "
        "occurred_at TEXT NOT NULL, detail TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {t}activities_company ON {t}activities (company_id, position)",
    )

    @on("company.contact_person_assigned")
    def assigned(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"INSERT INTO {self.t('holders')} (position, company_id, staff_id) VALUES (%s, %s, %s)",
            (position, str(e.originator_id), str(e.staff_id)),
        )

    @on("company.contact_logged")
    def contact(self, e: Any, position: int, sql: Sql) -> None:
        self._activity(sql, e, position, e.staff_id, utc_text(e.occurred_at), e.channel)

    @on("company.candidate_referred")
    def referred(self, e: Any, position: int, sql: Sql) -> None:
        self._activity(sql, e, position, e.by, utc_text(e.timestamp), "")

    @on("company.placement_started")
    def placement(self, e: Any, position: int, sql: Sql) -> None:
        self._activity(sql, e, position, e.by, utc_text(e.timestamp), e.kind)

    def _activity(
        self, sql: Sql, e: Any, position: int, actor: Any, occurred_at: str, detail: str
    ) -> None:
        kind = event_kind(e).removeprefix("company.")
        sql.execute(
            f"INSERT INTO {self.t('activities')} (position, company_id, actor_id, kind, "
            "occurred_at, detail) VALUES (%s, %s, %s, %s, %s, %s)",
            (position, str(e.originator_id), str(actor), kind, occurred_at, detail),
        )


def _unread(n: str, staff_id: str, company_id: str | None, joins: str = "") -> Statement:
    """FROM and WHERE of the person's unread notices (at one company, if given): the
    activities by others at a company while the person was its contact person (the
    newest holder before the activity), after the position they have seen there;
    `joins` go before the WHERE."""
    params: list[Any] = [staff_id, staff_id]
    company = ""
    if company_id is not None:
        company = " AND h.company_id = %s"
        params.append(company_id)
    return (
        f"FROM {n}holders h JOIN {n}activities a ON a.company_id = h.company_id "
        f"AND a.position > h.position LEFT JOIN {SEEN} r ON r.staff_id = h.staff_id "
        f"AND r.company_id = h.company_id{joins} "
        f"WHERE h.staff_id = %s AND a.actor_id <> %s{company} "
        "AND a.position > COALESCE(r.position, 0) "
        f"AND NOT EXISTS (SELECT 1 FROM {n}holders l WHERE l.company_id = h.company_id "
        "AND l.position > h.position AND l.position < a.position)",
        params,
    )


def unread(n: str, d: str, staff_id: str, limit: int, company_id: str | None = None) -> Statement:
    """The person's newest `limit` unread notices (at one company, if given): position,
    CVR, company name, kind, occurred_at, detail, and the actor's id, name, departure
    date and unit (the directory's, `d`)."""
    where, params = _unread(
        n,
        staff_id,
        company_id,
        f" JOIN {d}companies c ON c.company_id = a.company_id "
        f"LEFT JOIN {d}staff s ON s.staff_id = a.actor_id",
    )
    return (
        "SELECT a.position, c.cvr, c.name, a.kind, a.occurred_at, a.detail, "
        f"a.actor_id, s.name, s.left_on, s.unit {where} ORDER BY a.position DESC LIMIT %s",
        (*params, limit),
    )


def unread_count(n: str, staff_id: str, company_id: str | None = None) -> Statement:
    """How many unread notices the person has (at one company, if given)."""
    where, params = _unread(n, staff_id, company_id)
    return f"SELECT COUNT(*) {where}", params


def mark_seen(staff_id: str, company_id: str, position: int) -> Statement:
    """Record that the person has looked at the company up to `position` (never back)."""
    return (
        f"INSERT INTO {SEEN} (staff_id, company_id, position) VALUES (%s, %s, %s) "
        "ON CONFLICT (staff_id, company_id) DO UPDATE SET position = CASE WHEN "
        f"excluded.position > {SEEN}.position THEN excluded.position ELSE {SEEN}.position END",
        (staff_id, company_id, position),
    )
