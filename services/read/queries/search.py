"""Company search: by CVR or any part of the name, case- and accent-insensitive."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from projections import directory
from services.read.projections_at import ProjectionsAt
from services.read.queries.people import Person, person


class CompanyHit(BaseModel):
    cvr: str
    name: str
    municipality: str
    industry: str
    contact_person: Person | None


def search_companies(
    at: ProjectionsAt, text: str, municipalities: Sequence[str], limit: int
) -> list[CompanyHit]:
    """The companies of `municipalities` whose CVR is `text` or whose name holds it, by
    name, at most `limit`."""
    d = at.prefix("directory")
    today = at.today()
    rows = at.query(directory.search(d, text, municipalities, limit))
    return [
        CompanyHit(
            cvr=r[0],
            name=r[1],
            municipality=r[2],
            industry=r[3],
            contact_person=person(r[4], r[5], r[6], today),
        )
        for r in rows
    ]
