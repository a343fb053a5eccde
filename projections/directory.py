"""The directory: companies (for search) and staff (names that outlive their owners),
and the statements that read them."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from projections.base import Projection, Sql, Statement, among, collect_handlers, on, plain

_LONG = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})
_SHORT = str.maketrans({"æ": "a", "ø": "o", "å": "a"})


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(text: str) -> tuple[str, str, str]:
    """Three search spellings: København -> ("koebenhavn", "kobenhavn", "kobenhavn"). The
    last is a skeleton that any mix of spellings shares: Æblegård, aeblegard, ablegaard
    and AEBLEGAARD are all "ablegard" (ae, oe and aa as a, o and a)."""
    lower = text.casefold()
    long = _strip_accents(lower.translate(_LONG))
    return (long, _strip_accents(lower.translate(_SHORT)), skeleton(long))


def skeleton(folded: str) -> str:
    """The spelling with ae, oe and aa written a, o and a (three rounds: "aae" -> "a")."""
    for _ in range(3):
        folded = folded.replace("ae", "a").replace("oe", "o").replace("aa", "a")
    return folded


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
            (
                str(e.originator_id),
                e.cvr,
                e.name,
                "|".join(fold(e.name)),
                e.municipality,
                e.industry,
                plain(e.timestamp),
            ),
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


def search(d: str, text: str, municipalities: Sequence[str], limit: int) -> Statement:
    """Companies of `municipalities` whose CVR is `text` or whose name holds it (case- and
    accent-insensitive), by name: CVR, name, municipality, industry, and the contact
    person's id, name and departure date."""
    where: list[str] = ["1 = 1"]
    params: list[Any] = []
    text = text.strip()
    if text:
        # A name projected before the skeleton was kept has only the first two.
        spellings = sorted(set(fold(text.replace("|", " "))))
        likes = " OR ".join("c.folded LIKE %s ESCAPE '\\'" for _ in spellings)
        where.append(f"(c.cvr = %s OR {likes})")
        params += [
            "".join(ch for ch in text if ch.isdigit())[-8:] or text,
            *(f"%{_like(f)}%" for f in spellings),
        ]
    clause, codes = among("c.municipality", municipalities)
    where.append(clause)
    params += codes
    return (
        f"SELECT c.cvr, c.name, c.municipality, c.industry, c.contact_person, s.name, "
        f"s.left_on FROM {d}companies c LEFT JOIN {d}staff s ON s.staff_id = "
        f"c.contact_person WHERE {' AND '.join(where)} ORDER BY c.name, c.cvr LIMIT %s",
        (*params, limit),
    )


def _like(text: str) -> str:
    """Literal text inside a LIKE pattern: its own % and _ match only themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def company_known(d: str, company_id: str) -> Statement:
    """One row if the company is registered, none if not."""
    return f"SELECT 1 FROM {d}companies WHERE company_id = %s", (company_id,)


def staff_member(d: str, staff_id: str) -> Statement:
    """The staff member's name and departure date (no row if unknown)."""
    return f"SELECT name, left_on FROM {d}staff WHERE staff_id = %s", (staff_id,)


def staff_of(d: str, municipality: str) -> Statement:
    """The municipality's staff, those who left too, by name: id, name, departure date."""
    return (
        f"SELECT staff_id, name, left_on FROM {d}staff WHERE municipality = %s "
        "ORDER BY name, staff_id",
        (municipality,),
    )


def current_staff(d: str, municipalities: Sequence[str]) -> Statement:
    """The staff of `municipalities` who have not left, by name: id, name, municipality."""
    codes = list(municipalities)
    return (
        f"SELECT staff_id, name, municipality FROM {d}staff WHERE left_on IS NULL AND "
        f"municipality IN ({', '.join(['%s'] * len(codes)) or 'NULL'}) ORDER BY name, staff_id",
        codes,
    )


def everyone_current(d: str) -> Statement:
    """Every staff member who has not left, by municipality and name: id, name, role,
    municipality."""
    return (
        f"SELECT staff_id, name, role, municipality FROM {d}staff "
        "WHERE left_on IS NULL ORDER BY municipality, name, staff_id",
        (),
    )


def first_current(d: str, municipality: str) -> Statement:
    """The id of the municipality's first staff member by name who has not left."""
    return (
        f"SELECT staff_id FROM {d}staff WHERE municipality = %s AND left_on IS NULL "
        "ORDER BY name, staff_id LIMIT 1",
        (municipality,),
    )
