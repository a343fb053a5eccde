"""The directory: companies (for search) and staff (names that outlive their owners)."""

from __future__ import annotations

import unicodedata
from typing import Any

from projections.base import Projection, Sql, collect_handlers, on, plain

_LONG = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})
_SHORT = str.maketrans({"æ": "a", "ø": "o", "å": "a"})


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c))


def fold(text: str) -> tuple[str, str]:
    """Two search spellings: København -> ("koebenhavn", "kobenhavn")."""
    lower = text.casefold()
    return (_strip_accents(lower.translate(_LONG)), _strip_accents(lower.translate(_SHORT)))


@collect_handlers
class DirectoryProjection(Projection):
    """Companies and staff, kept current."""

    name = "directory"
    tables = (
        "CREATE TABLE IF NOT EXISTS {t}companies (company_id TEXT PRIMARY KEY, "
        "cvr TEXT NOT NULL UNIQUE, name TEXT NOT NULL, folded TEXT NOT NULL, "
        "municipality TEXT NOT NULL, industry TEXT NOT NULL, contact_person TEXT, "
        "registered_at TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS {t}companies_municipality ON {t}companies (municipality)",
        "CREATE TABLE IF NOT EXISTS {t}staff (staff_id TEXT PRIMARY KEY, name TEXT NOT NULL, "
        "municipality TEXT NOT NULL, unit TEXT NOT NULL, role TEXT NOT NULL, left_on TEXT)",
    )

    @on("company.registered")
    def registered(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"INSERT INTO {self.t('companies')} (company_id, cvr, name, folded, municipality, "
            "industry, registered_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (str(e.originator_id), e.cvr, e.name, "|".join(fold(e.name)), e.municipality,
             e.industry, plain(e.timestamp)),
        )

    @on("company.details_changed")
    def details_changed(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"UPDATE {self.t('companies')} SET name = %s, folded = %s, industry = %s "
            "WHERE company_id = %s",
            (e.name, "|".join(fold(e.name)), e.industry, str(e.originator_id)),
        )

    @on("company.contact_person_assigned")
    def contact_person_assigned(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"UPDATE {self.t('companies')} SET contact_person = %s WHERE company_id = %s",
            (str(e.staff_id), str(e.originator_id)),
        )

    @on("staff_member.joined")
    def joined(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"INSERT INTO {self.t('staff')} (staff_id, name, municipality, unit, role) "
            "VALUES (%s, %s, %s, %s, %s)",
            (str(e.originator_id), e.name, e.municipality, e.unit, e.role),
        )

    @on("staff_member.moved")
    def moved(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"UPDATE {self.t('staff')} SET municipality = %s, unit = %s, role = %s "
            "WHERE staff_id = %s",
            (e.municipality, e.unit, e.role, str(e.originator_id)),
        )

    @on("staff_member.left")
    def left(self, e: Any, position: int, sql: Sql) -> None:
        sql.execute(
            f"UPDATE {self.t('staff')} SET left_on = %s WHERE staff_id = %s",
            (plain(e.left_on), str(e.originator_id)),
        )
