"""The company overview's tables and their event handlers.

Rows per company for its contact person and their predecessors, contacts (as
last corrected), openings, referrals, placements, follow-ups and commitments.
The company's row counts what its lists hold whatever the day (`TOTALS`), so that
reading the overview counts no rows; what depends on the reader's today is
summed or counted when read: the follow-ups due and overdue from the open ones
per company and due date (`open_follow_ups`, a `Summary`: a few rows where a
busy company has a thousand follow-ups), the contacts of the last 7 and 30
days from the contacts.
"""

from __future__ import annotations

from typing import Any

from projections.base import (
    Projection,
    Sql,
    Summary,
    as_json,
    collect_handlers,
    on,
    plain,
    utc_text,
)

_COMPANY = "{t}companies (company_id TEXT PRIMARY KEY, cvr TEXT NOT NULL, "
TOTALS = (
    "holders_total",
    "open_openings_total",
    "referrals_in_flight_total",
    "in_placement_total",
    "commitments_total",
)
"""The companies table's counters: contact persons so far, open openings, referrals
awaiting an answer, running placements, commitments."""


@collect_handlers
class OverviewProjection(Projection):
    """Keeps each company's current working state."""

    name = "overview"
    added_columns = (
        ("contacts", "position", "BIGINT"),
        # The programme the company takes part in now (issue 23), NULL when none.
        ("companies", "programme_contract", "TEXT"),
        ("companies", "programme", "TEXT"),
        ("companies", "programme_since", "TEXT"),
    )
    tables = (
        "CREATE TABLE IF NOT EXISTS " + _COMPANY + "name TEXT NOT NULL, "
        "municipality TEXT NOT NULL, contact_person TEXT, contact_since TEXT, "
        "max_contacts_per_month INTEGER, preferred_channel TEXT, "
        "programme_contract TEXT, programme TEXT, programme_since TEXT, "
        + ", ".join(f"{total} INTEGER NOT NULL" for total in TOTALS)
        + ")",
        "CREATE TABLE IF NOT EXISTS {t}holders (position BIGINT PRIMARY KEY, "
        "company_id TEXT NOT NULL, staff_id TEXT NOT NULL, previous_staff_id TEXT, "
        "reason TEXT NOT NULL, handover_note TEXT NOT NULL, since TEXT NOT NULL, "
        "by_id TEXT NOT NULL)",
        # A person's caseload, and the companies of people who left (the handover queue).
        "CREATE INDEX IF NOT EXISTS {t}companies_contact_person ON {t}companies (contact_person)",
        # The newest holders of a company first, without scanning other companies'.
        "CREATE INDEX IF NOT EXISTS {t}holders_newest ON {t}holders (company_id, position)",
        # `position`: the contact's place in the log, which orders contacts of one time.
        "CREATE TABLE IF NOT EXISTS {t}contacts (contact_id TEXT PRIMARY KEY, "
        "company_id TEXT NOT NULL, staff_id TEXT NOT NULL, unit TEXT NOT NULL, "
        "channel TEXT NOT NULL, occurred_at TEXT NOT NULL, summary TEXT NOT NULL, "
        "position BIGINT)",
        # The last 30 days' contacts, counted per person from the index alone.
        "CREATE INDEX IF NOT EXISTS {t}contacts_recent ON {t}contacts "
        "(company_id, occurred_at, staff_id)",
        "CREATE TABLE IF NOT EXISTS {t}openings (opening_id TEXT PRIMARY KEY, "
        "company_id TEXT NOT NULL, title TEXT NOT NULL, hours_per_week INTEGER NOT NULL, "
        "positions INTEGER NOT NULL, kinds TEXT NOT NULL, open INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {t}referrals (referral_id TEXT PRIMARY KEY, "
        "company_id TEXT NOT NULL, opening_id TEXT NOT NULL, candidate_id TEXT NOT NULL, "
        "referred_at TEXT NOT NULL, health_clarified INTEGER NOT NULL, "
        "motivation_clarified INTEGER NOT NULL, outcome TEXT)",
        "CREATE TABLE IF NOT EXISTS {t}placements (placement_id TEXT PRIMARY KEY, "
        "company_id TEXT NOT NULL, candidate_id TEXT NOT NULL, kind TEXT NOT NULL, "
        "hours_per_week INTEGER NOT NULL, starts_on TEXT NOT NULL, ended_on TEXT)",
        "CREATE TABLE IF NOT EXISTS {t}follow_ups (follow_up_id TEXT PRIMARY KEY, "
        "company_id TEXT NOT NULL, placement_id TEXT NOT NULL, due_on TEXT NOT NULL, "
        "scheduled_by TEXT NOT NULL, status TEXT)",
        "CREATE TABLE IF NOT EXISTS {t}commitments (commitment_id TEXT PRIMARY KEY, "
        "company_id TEXT NOT NULL, description TEXT NOT NULL, target_hires INTEGER NOT NULL, "
        "by_date TEXT NOT NULL, agreed_on TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {t}openings_company ON {t}openings (company_id)",
        "CREATE INDEX IF NOT EXISTS {t}referrals_company ON {t}referrals (company_id)",
        "CREATE INDEX IF NOT EXISTS {t}placements_company ON {t}placements (company_id, starts_on)",
        "CREATE INDEX IF NOT EXISTS {t}follow_ups_company ON {t}follow_ups (company_id)",
        "CREATE INDEX IF NOT EXISTS {t}follow_ups_placement ON {t}follow_ups "
        "(placement_id, due_on)",
        "CREATE INDEX IF NOT EXISTS {t}commitments_company ON {t}commitments (company_id)",
        # The overview's lists and totals read only the open entries, in the list's order.
        "CREATE INDEX IF NOT EXISTS {t}openings_open ON {t}openings (company_id, opening_id) "
        "WHERE open = 1",
        "CREATE INDEX IF NOT EXISTS {t}referrals_in_flight ON {t}referrals "
        "(company_id, referred_at, referral_id) WHERE outcome IS NULL",
        "CREATE INDEX IF NOT EXISTS {t}placements_newest ON {t}placements "
        "(company_id, starts_on DESC, placement_id) WHERE ended_on IS NULL",
        "CREATE INDEX IF NOT EXISTS {t}follow_ups_open ON {t}follow_ups "
        "(company_id, due_on, follow_up_id) WHERE status IS NULL",
        "CREATE INDEX IF NOT EXISTS {t}follow_ups_next ON {t}follow_ups "
        "(placement_id, due_on) WHERE status IS NULL",
        # The open follow-ups per company and due date (a Summary: see `summaries`).
        "CREATE TABLE IF NOT EXISTS {t}open_follow_ups (company_id TEXT NOT NULL, "
        "due_on TEXT NOT NULL, follow_ups INTEGER NOT NULL, PRIMARY KEY (company_id, due_on))",
    )
    summaries = (
        Summary(
            "open_follow_ups",
            "company_id",
            frozenset({"company.follow_up_scheduled", "company.follow_up_completed"}),
            "SELECT company_id, due_on, COUNT(*) FROM {t}follow_ups WHERE status IS NULL"
            "{where} GROUP BY company_id, due_on",
        ),
    )

    @on("company.registered")
    def registered(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"INSERT INTO {self.t('companies')} (company_id, cvr, name, municipality, "
            f"{', '.join(TOTALS)}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (str(e.originator_id), e.cvr, e.name, e.municipality, *[0] * len(TOTALS)),
        )

    @on("company.programme_joined")
    def programme_joined(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"UPDATE {self.t('companies')} SET programme_contract = %s, programme = %s, "
            "programme_since = %s WHERE company_id = %s",
            (str(e.contract_id), e.programme, plain(e.joined_on), str(e.originator_id)),
        )

    @on("company.programme_left")
    def programme_left(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"UPDATE {self.t('companies')} SET programme_contract = NULL, programme = NULL, "
            "programme_since = NULL WHERE company_id = %s",
            (str(e.originator_id),),
        )

    @on("company.details_changed")
    def details_changed(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"UPDATE {self.t('companies')} SET name = %s WHERE company_id = %s",
            (e.name, str(e.originator_id)),
        )

    @on("company.contact_person_assigned")
    def assigned(self, e: Any, position: int, sql: Sql) -> None:
        since = _recorded(e)
        sql.execute(
            f"UPDATE {self.t('companies')} SET contact_person = %s, "
            "contact_since = %s WHERE company_id = %s",
            (str(e.staff_id), since, str(e.originator_id)),
        )
        sql.execute(
            f"INSERT INTO {self.t('holders')} (position, company_id, staff_id, "
            "previous_staff_id, reason, handover_note, since, by_id) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                position,
                str(e.originator_id),
                str(e.staff_id),
                plain(e.previous_staff_id),
                e.reason,
                e.handover_note,
                since,
                str(e.by),
            ),
        )
        self._count(sql, e, "holders_total", 1)

    @on("company.contact_preference_set")
    def preference(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"UPDATE {self.t('companies')} SET max_contacts_per_month = %s, "
            "preferred_channel = %s WHERE company_id = %s",
            (e.max_contacts_per_month, e.preferred_channel, str(e.originator_id)),
        )

    @on("company.contact_logged")
    def contact(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"INSERT INTO {self.t('contacts')} (contact_id, company_id, staff_id, "
            "unit, channel, occurred_at, summary, position) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                str(e.contact_id),
                str(e.originator_id),
                str(e.staff_id),
                e.unit,
                e.channel,
                utc_text(e.occurred_at),
                e.summary,
                position,
            ),
        )

    @on("company.contact_corrected")
    def corrected(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"UPDATE {self.t('contacts')} SET channel = %s, occurred_at = %s, "
            "summary = %s WHERE contact_id = %s",
            (e.channel, utc_text(e.occurred_at), e.summary, str(e.contact_id)),
        )

    @on("company.opening_registered")
    def opening(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"INSERT INTO {self.t('openings')} (opening_id, company_id, title, "
            "hours_per_week, positions, kinds, open) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                str(e.opening_id),
                str(e.originator_id),
                e.title,
                e.hours_per_week,
                e.positions,
                as_json({"kinds": list(e.placement_kinds)}),
                1,
            ),
        )
        self._count(sql, e, "open_openings_total", 1)

    @on("company.opening_closed")
    def opening_closed(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"UPDATE {self.t('openings')} SET open = %s WHERE opening_id = %s",
            (0, str(e.opening_id)),
        )
        self._count(sql, e, "open_openings_total", -1)  # the company closes an opening once

    @on("company.candidate_referred")
    def referred(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"INSERT INTO {self.t('referrals')} (referral_id, company_id, opening_id, "
            "candidate_id, referred_at, health_clarified, motivation_clarified) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                str(e.referral_id),
                str(e.originator_id),
                str(e.opening_id),
                str(e.candidate_id),
                _recorded(e),
                int(e.health_clarified),
                int(e.motivation_clarified),
            ),
        )
        self._count(sql, e, "referrals_in_flight_total", 1)

    @on("company.referral_answered")
    def answered(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"UPDATE {self.t('referrals')} SET outcome = %s WHERE referral_id = %s",
            (e.outcome, str(e.referral_id)),
        )
        self._count(sql, e, "referrals_in_flight_total", -1)  # answered once

    @on("company.placement_started")
    def placement(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"INSERT INTO {self.t('placements')} (placement_id, company_id, "
            "candidate_id, kind, hours_per_week, starts_on) VALUES "
            "(%s, %s, %s, %s, %s, %s)",
            (
                str(e.placement_id),
                str(e.originator_id),
                str(e.candidate_id),
                e.kind,
                e.hours_per_week,
                plain(e.starts_on),
            ),
        )
        self._count(sql, e, "in_placement_total", 1)

    @on("company.placement_changed")
    def placement_changed(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"UPDATE {self.t('placements')} SET kind = %s, hours_per_week = %s "
            "WHERE placement_id = %s",
            (e.kind, e.hours_per_week, str(e.placement_id)),
        )

    @on("company.placement_ended")
    def placement_ended(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"UPDATE {self.t('placements')} SET ended_on = %s WHERE placement_id = %s",
            (plain(e.ends_on), str(e.placement_id)),
        )
        self._count(sql, e, "in_placement_total", -1)  # ended once

    @on("company.follow_up_scheduled")
    def follow_up(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"INSERT INTO {self.t('follow_ups')} (follow_up_id, company_id, "
            "placement_id, due_on, scheduled_by) VALUES (%s, %s, %s, %s, %s)",
            (
                str(e.follow_up_id),
                str(e.originator_id),
                str(e.placement_id),
                plain(e.due_on),
                str(e.by),
            ),
        )

    @on("company.follow_up_completed")
    def follow_up_done(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"UPDATE {self.t('follow_ups')} SET status = %s WHERE follow_up_id = %s",
            (e.status, str(e.follow_up_id)),
        )

    @on("company.commitment_agreed")
    def commitment(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"INSERT INTO {self.t('commitments')} (commitment_id, company_id, "
            "description, target_hires, by_date, agreed_on) VALUES "
            "(%s, %s, %s, %s, %s, %s)",
            (
                str(e.commitment_id),
                str(e.originator_id),
                e.description,
                e.target_hires,
                plain(e.by_date),
                _recorded(e)[:10],
            ),
        )
        self._count(sql, e, "commitments_total", 1)

    def _count(self, sql: Sql, e: Any, total: str, change: int) -> None:
        """Move one of the company's counters (the aggregate allows each closing, answer
        and end once, so every -1 undoes a +1)."""
        sql.execute(
            f"UPDATE {self.t('companies')} SET {total} = {total} + %s WHERE company_id = %s",
            (change, str(e.originator_id)),
        )


def _recorded(e: Any) -> str:
    return utc_text(e.timestamp)
