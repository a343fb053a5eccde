"""Request and response bodies of the HTTP API (separate from the domain's types)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

from domain.values import (
    Channel,
    FollowUpStatus,
    PlacementEndReason,
    PlacementKind,
    ReferralOutcome,
    StaffRole,
    Unit,
)
from infra.municipalities import municipalities

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Summary = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Item = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
CVR_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "cvr",
    # What normalise_cvr accepts, less the modulus-11 check (no pattern can say it).
    "pattern": r"^[\s.\-]*([Dd][\s.\-]*[Kk][\s.\-]*)?[1-9]([\s.\-]*[0-9]){7}[\s.\-]*$",
    "maxLength": 20,
    "description": (
        "A CVR number: 8 digits, not starting with 0, passing the modulus-11 check "
        "(weights 2, 7, 6, 5, 4, 3, 2, 1); spaces, hyphens, dots and a DK prefix are fine."
    ),
    "examples": ["13748136", "DK 1374 8136"],
}
Cvr = Annotated[
    str,
    StringConstraints(max_length=20, pattern=CVR_SCHEMA["pattern"]),
    WithJsonSchema(CVR_SCHEMA),
]
"""A CVR as its schema says; the modulus-11 check is the domain's (a 422 of its own)."""
MunicipalityCode = Annotated[
    str,
    StringConstraints(pattern=r"^\d{3}$"),
    WithJsonSchema(
        {
            "type": "string",
            "enum": sorted(municipalities()),
            "description": "One of the 98 municipalities' three-digit codes.",
        }
    ),
]


def _whole(value: Any) -> Any:
    # pydantic also reads true/false and a string of digits as a number, which the
    # document's integer type does not allow.
    if isinstance(value, bool | str):
        raise ValueError("a whole number, not text or true/false")
    return value


WHOLE = BeforeValidator(_whole)
"""A whole number as the document says (never a boolean or text); after the constraints."""
Hours = Annotated[
    int,
    Field(json_schema_extra={"minimum": 1, "maximum": 37}, description="hours per week, 1-37"),
    WHOLE,
]
By = Annotated[
    UUID | None,
    Field(
        description=(
            "Optional: the staff member the work is recorded for; it must be the token's subject."
        )
    ),
]


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date_text(value: Any) -> Any:
    # pydantic also reads a number, or a string of digits, as a Unix time ("0" is
    # 1970-01-01), which format: date does not allow.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("a date is text: YYYY-MM-DD")


def _moment_text(value: Any) -> Any:
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise ValueError("a time is text: YYYY-MM-DDThh:mm:ss with its offset, e.g. +01:00")


Day = Annotated[date, BeforeValidator(_date_text)]
"""A business date, as JSON Schema's format: date says (never a number)."""
Moment = Annotated[AwareDatetime, BeforeValidator(_moment_text)]
"""A time with its offset, as format: date-time says (never a number)."""


class Body(BaseModel):
    """Unknown fields are refused, so a typo never silently drops data; text the stores
    cannot hold (a NUL character, a lone surrogate) is refused, field by field."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        refused = unstorable(value)
        if refused is not None:
            raise ValueError(refused)
        return value


def unstorable(value: Any) -> str | None:
    """Why text in this value (or in its items) cannot be stored, None if it can:
    PostgreSQL holds no NUL character in text, and no store holds a lone surrogate
    (it has no UTF-8)."""
    if isinstance(value, str):
        if "\x00" in value:
            return "holds a NUL character, which cannot be stored"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "holds a lone surrogate, which is not text that can be stored"
        return None
    if isinstance(value, list | tuple):
        return next((r for r in map(unstorable, value) if r is not None), None)
    return None


class RegisterCompany(Body):
    cvr: Cvr
    name: Name
    municipality: MunicipalityCode
    industry: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    by: By = None


class ChangeDetails(Body):
    name: Name
    industry: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    by: By = None


class AssignContactPerson(Body):
    staff_id: UUID
    reason: Short = ""
    handover_note: Text = ""
    by: By = None


class LogContact(Body):
    by: By = None
    channel: Channel
    occurred_at: Moment
    summary: Summary
    topics: Annotated[list[Tag], Field(max_length=20)] = []


class CorrectContact(LogContact):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class SetContactPreference(Body):
    max_contacts_per_month: Annotated[int, Field(ge=1, le=100), WHOLE]
    preferred_channel: Channel | None = None
    by: By = None


class RegisterOpening(Body):
    title: Name
    carved_out_tasks: Annotated[list[Item], Field(max_length=30)] = []
    hours_per_week: Hours
    placement_kinds: Annotated[list[PlacementKind], Field(min_length=1, max_length=4)]
    requirements: Annotated[list[Item], Field(max_length=30)] = []
    positions: Annotated[int, Field(ge=1, le=100), WHOLE] = 1
    by: By = None


class CloseOpening(Body):
    reason: Short = ""
    by: By = None


class ReferCandidate(Body):
    opening_id: UUID
    candidate_id: UUID
    health_clarified_on: Day | None = None
    motivation_clarified_on: Day | None = None
    by: By = None


class AnswerReferral(Body):
    outcome: ReferralOutcome
    answered_on: Day
    by: By = None


class StartPlacement(Body):
    candidate_id: UUID
    referral_id: UUID | None = None
    kind: PlacementKind
    hours_per_week: Hours
    starts_on: Day
    by: By = None


class ChangePlacement(Body):
    effective_on: Day
    kind: PlacementKind
    hours_per_week: Hours
    by: By = None


class EndPlacement(Body):
    ends_on: Day
    reason: PlacementEndReason
    by: By = None


class ScheduleFollowUp(Body):
    placement_id: UUID
    due_on: Day
    by: By = None


class CompleteFollowUp(Body):
    held_on: Day
    status: FollowUpStatus
    by: By = None


class AgreeCommitment(Body):
    description: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
    ]
    target_hires: Annotated[int, Field(ge=0, le=1000), WHOLE]
    by_date: Day
    preparation: Text = ""
    by: By = None


class ReviewCommitment(Body):
    reviewed_on: Day
    note: Text = ""
    by: By = None


class JoinStaff(Body):
    name: Name
    municipality: MunicipalityCode
    unit: Unit
    role: StaffRole = StaffRole.CONSULTANT


class MoveStaff(Body):
    municipality: MunicipalityCode
    unit: Unit
    role: StaffRole = StaffRole.CONSULTANT
    moved_on: Day


class LeaveStaff(Body):
    left_on: Day
    reason: Short = ""


# --- outcome contracts -----------------------------------------------------

Ore = Annotated[
    int, Field(ge=0, le=10_000_000_000, description="An amount in øre (1/100 DKK)."), WHOLE
]
Subject = Annotated[
    UUID | None,
    Field(
        description=(
            "Optional: who records this; it must be the token's own (see `actor_id` in the README)."
        )
    ),
]


class MilestoneIn(Body):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    weeks: Annotated[int, Field(ge=0, le=520, description="0: the start of employment"), WHOLE]
    price_ore: Ore


TargetGroup = Literal[
    "long_term_unemployed",
    "young_without_education",
    "refugees_and_immigrants",
    "criminal_record",
    "reduced_working_capacity",
]


class RulesIn(Body):
    """Contract rules; omitted fields take the defaults of the design."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["milestones"], "properties": {"milestones": {"type": "array"}}},
                {
                    "required": ["default_prices_ore"],
                    "properties": {"default_prices_ore": {"type": "array"}},
                },
            ]
        }
    )

    paying_kinds: Annotated[
        tuple[PlacementKind, ...],
        Field(max_length=4),
        WithJsonSchema(
            {
                "type": "array",
                "items": {"type": "string", "enum": ["ordinary", "flex_job", "wage_subsidy"]},
                "maxItems": 4,
            }
        ),
    ] = Field((PlacementKind.ORDINARY, PlacementKind.FLEX_JOB), description="never internship")
    milestones: Annotated[list[MilestoneIn], Field(min_length=1, max_length=20)] | None = Field(
        None, description="default: start, 13_weeks, 26_weeks at `default_prices_ore`"
    )
    default_prices_ore: Annotated[list[Ore], Field(min_length=3, max_length=3)] | None = Field(
        None,
        description=(
            "prices of the default milestones (start, 13 and 26 weeks) when `milestones` is omitted"
        ),
    )
    min_hours_per_week: Annotated[int, Field(ge=1, le=37), WHOLE] = 1
    evidence_lag_days: Annotated[int, Field(ge=0, le=366), WHOLE] = 0
    cap_per_company_ore: Ore | None = None
    cap_per_contract_ore: Ore | None = None
    durable_milestone: Annotated[str, StringConstraints(min_length=1, max_length=120)] | None = (
        Field(
            None,
            description="the milestone from which a job counts as durable "
            "(default 26_weeks, else the longest milestone)",
        )
    )
    measurement_years: Annotated[int, Field(ge=1, le=10), WHOLE] = Field(
        3, description="years after a company's participation in which its placements count"
    )
    baseline: StrictBool = Field(
        False,
        description="programme contracts: pay only for placements above each company's "
        "placements in the 12 months before it joined, in each year of its participation",
    )


class Counterparty(Body):
    """The actor the municipality pays (e.g. a social investment fund)."""

    name: Name
    cvr: Cvr


class AgreeContract(Body):
    municipality: MunicipalityCode
    name: Name
    period_from: Day
    period_to: Day
    rules: RulesIn
    counterparty: Counterparty | None = None
    target_group: TargetGroup | None = Field(
        None, description="whom the programme is for: a category, never a person's reason"
    )
    scope: Literal["municipality", "programme"] = Field(
        "municipality",
        description="municipality: every paying placement in it counts; "
        "programme: only placements at its participating companies",
    )
    by: Subject = None


class JoinProgramme(Body):
    """A company takes part in a programme contract from a business date."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    cvr: Cvr
    joined_on: Day = Field(alias="from")
    by: Subject = None


class LeaveProgramme(Body):
    """The company's last day in the programme."""

    on: Day
    by: Subject = None


class AmendContract(Body):
    effective_from: Day
    rules: RulesIn
    by: Subject = None


class IssueInvoice(Body):
    period_from: Day
    period_to: Day
    by: Subject = None


class DisputeInvoice(Body):
    keys: list[Annotated[str, StringConstraints(max_length=120)]] = Field(
        default_factory=list,
        max_length=10_000,
        description="the lines' keys (`<candidate id>:<milestone>`); empty: every line",
    )
    reason: Summary
    by: Subject = None


class ResolveDispute(Body):
    outcome: Annotated[
        str,
        StringConstraints(pattern=r"^(upheld|recovered)$"),
        WithJsonSchema({"type": "string", "enum": ["upheld", "recovered"]}),
    ]
    note: Text = ""
    by: Subject = None
