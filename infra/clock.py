"""Danish time: the users' business dates are days in Copenhagen."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


def local_now() -> datetime:
    """The wall clock in Danish time, so that "today" is the users' business date."""
    return datetime.now(COPENHAGEN)
