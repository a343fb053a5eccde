"""The 98 Danish municipalities, read from the CSV shipped with casebook."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CSV_PATH = Path(__file__).parent / "data" / "municipalities.csv"


@dataclass(frozen=True)
class Municipality:
    """A municipality and its region."""

    code: str
    name: str
    region: str


@cache
def municipalities() -> dict[str, Municipality]:
    """All municipalities by 3-digit code."""
    with CSV_PATH.open(encoding="utf-8") as f:
        return {
            row["code"]: Municipality(row["code"], row["name"], row["region"])
            for row in csv.DictReader(f)
        }
