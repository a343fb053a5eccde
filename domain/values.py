"""Value objects shared by the aggregates: CVR numbers, kinds and outcomes."""

from __future__ import annotations

import re
import uuid
from enum import StrEnum

from domain.errors import InvalidCvrError

_CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)
_CVR_NOISE = re.compile(r"[\s\-.]")
# A fixed namespace, so the same CVR always reaches the same stream.
COMPANY_NAMESPACE = uuid.UUID("6f1c1a52-3b8e-4a51-9d7c-2f0c5e1b7a10")

MAX_HOURS_PER_WEEK = 37
MIN_HOURS_PER_WEEK = 1


def normalise_cvr(raw: str) -> str:
    """Return the 8-digit CVR in `raw` (spaces, hyphens, a DK prefix allowed)."""
    text = raw if len(raw) == 8 else _CVR_NOISE.sub("", raw.strip()).upper()
    if text.startswith("DK"):
        text = text[2:]
    if len(text) != 8 or not text.isascii() or not text.isdigit():
        raise InvalidCvrError(f"CVR must be 8 digits, got {raw!r}")
    if text[0] == "0":
        raise InvalidCvrError(f"CVR cannot start with 0, got {raw!r}")
    checksum = sum(int(d) * w for d, w in zip(text, _CVR_WEIGHTS, strict=True))
    if checksum % 11:
        raise InvalidCvrError(f"CVR {text} fails the modulus-11 check")
    return text


def company_id(cvr: str) -> uuid.UUID:
    """The stream id of the company with this (normalised) CVR."""
    return uuid.uuid5(COMPANY_NAMESPACE, cvr)


class Unit(StrEnum):
    """The three kinds of municipal actor that contact companies."""

    JOB_CENTRE = "job_centre"
    BUSINESS_UNIT = "business_unit"
    CONTRACTED_PROVIDER = "contracted_provider"


class StaffRole(StrEnum):
    """What a staff member does."""

    CONSULTANT = "consultant"
    CASEWORKER = "caseworker"
    TEAM_LEAD = "team_lead"


class Channel(StrEnum):
    """How a contact with a company took place."""

    PHONE = "phone"
    EMAIL = "email"
    VISIT = "visit"
    MEETING = "meeting"
    VIDEO = "video"
    JOB_DATING = "job_dating"


class PlacementKind(StrEnum):
    """Ordinary and flex jobs and wage subsidy are paid; an internship is not."""

    ORDINARY = "ordinary"
    FLEX_JOB = "flex_job"
    WAGE_SUBSIDY = "wage_subsidy"
    INTERNSHIP = "internship"


class ReferralOutcome(StrEnum):
    """How a referral was answered."""

    HIRED = "hired"
    DECLINED_BY_COMPANY = "declined_by_company"
    DECLINED_BY_CANDIDATE = "declined_by_candidate"
    NO_SHOW = "no_show"


class FollowUpStatus(StrEnum):
    """The verdict of a held follow-up."""

    ON_TRACK = "on_track"
    AT_RISK = "at_risk"


class PlacementEndReason(StrEnum):
    """Why a placement ended."""

    COMPLETED = "completed"
    RESIGNED = "resigned"
    DISMISSED = "dismissed"
    CONVERTED = "converted"
    OTHER = "other"
