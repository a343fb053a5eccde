"""A contact person's coordination notices: what others logged at their companies, and
which of it they have seen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from projections import notices
from projections.base import Statement
from services.read.db import ProjectionDb
from services.read.projections_at import ProjectionsAt
from services.read.queries.people import StaffPerson, staff_person

NOTICE_VIEWS = ("notices", "directory")
"""The read models the notices join."""
SHOWN = 20  # notices per answer, newest first, unless asked otherwise


class Notice(BaseModel):
    """Someone other than the contact person logged a contact, a referral or a
    placement at one of their companies."""

    position: int
    cvr: str
    company: str
    kind: str
    detail: str
    occurred_at: str
    actor: StaffPerson


class Notices(BaseModel):
    """A person's unread notices, newest first, and how many they have unread in all."""

    staff_id: str
    unread: int
    notices: list[Notice]


def unread_notices(
    at: ProjectionsAt, staff_id: UUID, limit: int = SHOWN, company_id: str | None = None
) -> Notices:
    """The person's unread notices (at one company, by its id, if given)."""
    me = str(staff_id)

    def statements(prefix: Callable[[str], str]) -> list[Statement]:
        n = prefix("notices")
        return [
            notices.unread(n, prefix("directory"), me, limit, company_id),
            notices.unread_count(n, me, company_id),
        ]

    rows, [(total,)] = at.read(NOTICE_VIEWS, statements)
    today = at.today()
    return Notices(staff_id=me, unread=int(total), notices=[_notice(r, today) for r in rows])


def _notice(r: tuple[Any, ...], today: Any) -> Notice:
    return Notice(
        position=int(r[0]),
        cvr=r[1],
        company=r[2],
        kind=r[3],
        occurred_at=r[4],
        detail=r[5],
        actor=staff_person(r[6], r[7], r[8], r[9], today),
    )


def mark_seen(views: ProjectionDb, staff_id: UUID, company_id: str, position: int) -> None:
    """Record that the person has seen the company's notices up to log `position`."""
    with views.transaction() as sql:
        sql.execute(*notices.mark_seen(str(staff_id), company_id, position))
