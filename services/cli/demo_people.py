"""The demo's job seekers: invented people, each drawn from their candidate id alone (so
the demo's seeded plan stays as it was), registered through the same sealing use case
as the API's: name, CPR number, phone and a note, sealed under a key of their own."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from services.http.container import Services
from services.write.candidates import register_sealed

Enrol = Callable[[UUID, str, UUID], object]
"""Registers the candidate with this id in a municipality, by a staff member."""

GIVEN = (
    "Aksel",
    "Bodil",
    "Carl",
    "Dorthe",
    "Emil",
    "Frida",
    "Gunnar",
    "Hanne",
    "Ib",
    "Jytte",
    "Kasper",
    "Lone",
    "Mads",
    "Nora",
    "Otto",
    "Rikke",
    "Svend",
    "Tilde",
    "Viggo",
    "Åse",
)
FAMILY = (
    "Æblegård",
    "Bøgelund",
    "Hyldahl",
    "Kærsgaard",
    "Lindholt",
    "Mølleskov",
    "Nørrevang",
    "Rosendahl",
    "Sønderby",
    "Østerlund",
)
NOTES = (
    "Vil gerne arbejde udendørs. Har kørekort.",
    "Ønsker deltid til at begynde med.",
    "Erfaring fra lager og pakning.",
    "Taler dansk og arabisk.",
    "Vil gerne prøve køkkenarbejde.",
)


def invented_person(candidate_id: UUID) -> dict[str, Any]:
    """The invented personal data of the demo candidate with this id."""
    rng = random.Random(candidate_id.int)
    born = date(1970, 1, 1) + timedelta(days=rng.randint(0, 365 * 35))
    return {
        "name": f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
        "cpr": f"{born:%d%m%y}{rng.randint(0, 9999):04d}",
        "phone": f"+45 {rng.randint(20, 99)}{rng.randint(0, 999_999):06d}",
        "email": None,
        "address": None,
        "notes": rng.choice(NOTES),
    }


def enrolment(services: Services) -> Enrol:
    """How the demo registers its job seekers on these services."""

    def enrol(candidate_id: UUID, municipality: str, by: UUID) -> None:
        register_sealed(
            services.vault,
            services.committer.submit,
            candidate_id=candidate_id,
            municipality=municipality,
            personal=invented_person(candidate_id),
            by=by,
        )

    return enrol
