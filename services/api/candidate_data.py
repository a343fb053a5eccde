"""The personal data of a candidate as the API takes it: sealed, never stored plain."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, WithJsonSchema

from services.api import schemas as s

# The white space of Python's \s and of ECMAScript's (the document's) alike, and no NUL.
_NOT = r"[^@\s\x00\x1c-\x1f\x85\ufeff]"
_EMAIL = rf"^{_NOT}+@{_NOT}+\.{_NOT}+$"
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=_EMAIL),
]
Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ]{8,20}$"),
    # What is left after stripping must match: no space to begin or end with.
    WithJsonSchema({"type": "string", "pattern": r"^\+?[0-9][0-9 ]{6,18}[0-9]$"}),
]
CPR_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "cpr",
    # Ten digits and at most 12 characters (no NUL); the first six a real day.
    "pattern": r"^[^0-9\x00]*([0-9][^0-9\x00]*){10}$",
    "maxLength": 12,
    "description": "A CPR number, DDMMYY-SSSS (separators allowed)",
    "examples": ["010190-1234"],
}
Cpr = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=12), WithJsonSchema(CPR_SCHEMA)
]


class PersonalData(BaseModel):
    """What is sealed: never stored or sent anywhere in plain text."""

    name: s.Name
    cpr: Cpr
    phone: Phone | None = None
    email: Email | None = None
    address: s.Short | None = None
    notes: Annotated[
        s.Text | None,
        Field(
            description=(
                "Notes about the person for the job match. Never health details: casebook does "
                "not store those."
            )
        ),
    ] = None
