"""The demo's invented names and kinds, and the plan it fills: actions by business day."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from domain.values import (
    StaffRole,
    Unit,
)
from services.write.command import Command

MUNICIPALITIES = ("165", "147", "159", "161", "657", "756", "621", "230")
INDUSTRIES = (
    ("Rengøring", "cleaning"),
    ("Autoværksted", "car repair"),
    ("Slagter", "butcher"),
    ("Glarmester", "glazier"),
    ("VVS", "plumbing"),
    ("El-installatør", "electrician"),
    ("Maskinfabrik", "machine works"),
    ("Ventilation", "ventilation"),
    ("Gearfabrik", "gear manufacturing"),
    ("IT-service", "IT services"),
    ("Murerfirma", "bricklaying"),
    ("Omsorgsfonden", "care foundation"),
    ("Betonskæring", "concrete cutting"),
    ("Kontorforsyning", "office supplies"),
)
PREFIXES = (
    "Nordlys",
    "Kastanje",
    "Tusindfryd",
    "Bølgebryder",
    "Lærkereden",
    "Hvidtjørn",
    "Stenbro",
    "Solsikke",
    "Mågeklint",
    "Rønnebær",
    "Sandhjerte",
    "Egeskov",
)
FIRST = (
    "Ask",
    "Birk",
    "Dagny",
    "Edel",
    "Folmer",
    "Gry",
    "Holger",
    "Ingrid",
    "Jens",
    "Karen",
    "Leif",
    "Maja",
    "Nanna",
    "Ole",
    "Pia",
    "Rasmus",
    "Sif",
    "Tove",
    "Ulla",
    "Vagn",
)
LAST = (
    "Kløvermose",
    "Lyngbakke",
    "Fjordvang",
    "Ravnsholt",
    "Engdahl",
    "Skovmark",
    "Havgaard",
    "Mosekilde",
    "Bakkedal",
    "Strandlyst",
)
KINDS = ("ordinary", "flex_job", "wage_subsidy", "internship")
TOPICS = (
    "rekruttering",
    "fastholdelse",
    "jobåbning",
    "opfølgning",
    "virksomhedspraktik",
    "løntilskud",
    "fleksjob",
    "samarbejdsaftale",
)
CHANNELS = ("phone", "email", "visit", "meeting", "video")

Submit = Callable[[Command], object]
"""Runs one command (the group committer's `submit`)."""


def valid_cvr(rng: random.Random) -> str:
    """A random 8-digit number that passes the modulus-11 check."""
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        if sum(d * w for d, w in zip(digits, (2, 7, 6, 5, 4, 3, 2, 1), strict=True)) % 11 == 0:
            return "".join(map(str, digits))


@dataclass
class Staff:
    name: str
    municipality: str
    unit: Unit
    role: StaffRole
    leaves_on: int | None = None  # day of the year, or None
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass
class Plan:
    """Actions ordered by business day; each may use ids earlier ones created."""

    start: date
    actions: list[tuple[int, int, Callable[[], object]]] = field(default_factory=list)

    def at(self, day: int, action: Callable[[], object]) -> None:
        """Plan `action` for business day `day` (after those planned for it already)."""
        self.actions.append((day, len(self.actions), action))

    def ordered(self) -> list[Callable[[], object]]:
        """The actions by day, in the order they were planned within a day."""
        return [a for _, _, a in sorted(self.actions, key=lambda t: (t[0], t[1]))]
