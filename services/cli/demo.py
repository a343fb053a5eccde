"""The pilot-like demo data set, built with the same use cases the API's routes run.

Eight municipalities, 3-4 fictional companies each, staff of all three kinds of
actor (some leave during the year), and a year of contacts, openings,
referrals, placements of every kind, follow-ups and endings. All names are
invented; candidates are bare ids. The plan is deterministic (fixed seed).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from domain.values import (
    Channel,
    FollowUpStatus,
    PlacementEndReason,
    PlacementKind,
    ReferralOutcome,
    StaffRole,
    Unit,
)
from services.write import companies as use
from services.write import staff as staff_use
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


class DemoBuilder:
    """Builds the plan for one year ending `today`; each action submits one command,
    recorded at `clock()` for the staff member the plan names."""

    def __init__(
        self, submit: Submit, clock: Callable[[], datetime], today: date, seed: int = 2019
    ) -> None:
        self.submit = submit
        self.clock = clock
        self.rng = random.Random(seed)
        self.today = today
        self.plan = Plan(today - timedelta(days=364))
        self.cvrs: list[str] = []

    def day(self, n: int) -> date:
        """The date of business day `n` of the year."""
        return self.plan.start + timedelta(days=n)

    def moment(self, n: int) -> datetime:
        """A random office hour of business day `n`, in UTC."""
        hour = self.rng.randint(8, 15)
        return datetime.combine(self.day(n), time(hour, 0), UTC)

    def build(self) -> Plan:
        """Plan the staff and companies of every municipality."""
        industry = 0
        for index, code in enumerate(MUNICIPALITIES):
            staff = self._staff(code, leaver=index % 3 == 0)
            for _ in range(3 + index % 2):
                self._company(code, staff, INDUSTRIES[industry % len(INDUSTRIES)])
                industry += 1
        return self.plan

    def _staff(self, code: str, *, leaver: bool) -> list[Staff]:
        units = (Unit.JOB_CENTRE, Unit.JOB_CENTRE, Unit.BUSINESS_UNIT, Unit.CONTRACTED_PROVIDER)
        members = [
            Staff(
                f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}", code, u, StaffRole.CONSULTANT
            )
            for u in units
        ]
        members.append(
            Staff(
                f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}",
                code,
                Unit.JOB_CENTRE,
                StaffRole.TEAM_LEAD,
            )
        )
        if leaver:
            members[0].leaves_on = self.rng.randint(150, 240)
        for m in members:
            self.plan.at(-1, self._join(m))
            if m.leaves_on is not None:
                self.plan.at(m.leaves_on, self._leave(m))
        return members

    def _join(self, m: Staff) -> Callable[[], object]:
        return lambda: self.submit(
            staff_use.join_staff(
                staff_id=m.id, name=m.name, municipality=m.municipality, unit=m.unit, role=m.role
            )
        )

    def _leave(self, m: Staff) -> Callable[[], object]:
        return lambda: self.submit(
            staff_use.leave(
                staff_id=m.id,
                left_on=self.day(m.leaves_on or 0),
                reason="new job",
                now=self.clock(),
            )
        )

    def _company(self, code: str, staff: list[Staff], industry: tuple[str, str]) -> None:
        cvr = valid_cvr(self.rng)
        self.cvrs.append(cvr)
        lead = staff[-1]
        owner = staff[0] if self.rng.random() < 0.5 else staff[1]
        name = f"{self.rng.choice(PREFIXES)} {industry[0]} ApS"
        self.plan.at(
            0,
            lambda: self.submit(
                use.register_company(
                    cvr=cvr, name=name, municipality=code, industry=industry[1], by=lead.id
                )
            ),
        )
        self.plan.at(
            1,
            lambda: self.submit(
                use.assign_contact_person(
                    cvr=cvr,
                    by=lead.id,
                    staff_id=owner.id,
                    reason="first contact person",
                    handover_note="",
                    may_reassign=True,
                )
            ),
        )
        if self.rng.random() < 0.6:
            self.plan.at(
                2,
                lambda: self.submit(
                    use.set_contact_preference(
                        cvr=cvr,
                        by=owner.id,
                        max_contacts_per_month=self.rng.randint(2, 6),
                        preferred_channel=Channel.PHONE,
                    )
                ),
            )
        self._handover(cvr, owner, staff, lead)
        self._contacts(cvr, owner, staff)
        self._commitment(cvr, owner)
        for _ in range(self.rng.randint(1, 2)):
            self._opening(cvr, owner, staff)

    def _active(self, staff: list[Staff], day: int) -> list[Staff]:
        return [
            s
            for s in staff
            if s.role == StaffRole.CONSULTANT and (s.leaves_on is None or s.leaves_on > day)
        ]

    def _doer(self, owner: Staff, staff: list[Staff], day: int) -> uuid.UUID:
        """The staff member who does the company's work that day: its owner while there."""
        if owner.leaves_on is None or owner.leaves_on > day:
            return owner.id
        return self._active(staff, day)[0].id

    def _handover(self, cvr: str, owner: Staff, staff: list[Staff], lead: Staff) -> None:
        if owner.leaves_on is None or self.rng.random() < 0.3:
            return  # stays in the handover queue
        day = owner.leaves_on + self.rng.randint(3, 20)
        heir = self._active(staff, day)[0]
        self.plan.at(
            day,
            lambda: self.submit(
                use.assign_contact_person(
                    cvr=cvr,
                    by=lead.id,
                    staff_id=heir.id,
                    reason="previous contact person left",
                    handover_note="Prefers calls before 10. Two openings in the workshop.",
                    may_reassign=True,
                )
            ),
        )

    def _contacts(self, cvr: str, owner: Staff, staff: list[Staff]) -> None:
        day = self.rng.randint(2, 20)
        while day < 364:
            doer = (
                self._doer(owner, staff, day)
                if self.rng.random() < 0.6
                else self.rng.choice(self._active(staff, day)).id
            )
            self.plan.at(day, self._contact(cvr, doer, day))
            day += self.rng.randint(5, 25)

    def _contact(self, cvr: str, doer: uuid.UUID, day: int) -> Callable[[], object]:
        topics = self.rng.sample(TOPICS, 2)

        def log() -> None:
            channel = Channel(self.rng.choice(CHANNELS))  # drawn before the hour, as ever
            self.submit(
                use.log_contact(
                    cvr=cvr,
                    by=doer,
                    contact_id=uuid.uuid4(),
                    channel=channel,
                    occurred_at=self.moment(day),
                    summary=f"Talked about {topics[0]} and {topics[1]}.",
                    topics=topics,
                    now=self.clock(),
                )
            )

        return log

    def _commitment(self, cvr: str, owner: Staff) -> None:
        commitment = uuid.uuid4()
        self.plan.at(
            10,
            lambda: self.submit(
                use.agree_commitment(
                    cvr=cvr,
                    by=owner.id,
                    commitment_id=commitment,
                    description="Hire candidates from the job centre for carved-out tasks",
                    target_hires=self.rng.randint(1, 4),
                    by_date=self.day(364),
                    preparation="Candidates tried in a short internship first",
                )
            ),
        )
        if owner.leaves_on is None:
            self.plan.at(
                180,
                lambda: self.submit(
                    use.review_commitment(
                        cvr=cvr,
                        by=owner.id,
                        commitment_id=commitment,
                        reviewed_on=self.day(180),
                        note="On course",
                        now=self.clock(),
                    )
                ),
            )

    def _opening(self, cvr: str, owner: Staff, staff: list[Staff]) -> None:
        self.rng.getrandbits(128)  # (once the opening's key) keeps the seeded plan as it was
        opening = uuid.uuid4()
        opened = self.rng.randint(15, 200)
        kinds = [PlacementKind(k) for k in self.rng.sample(KINDS, self.rng.randint(2, 4))]
        self.plan.at(
            opened,
            lambda: self.submit(
                use.register_opening(
                    cvr=cvr,
                    by=self._doer(owner, staff, opened),
                    opening_id=opening,
                    title="Helper for routine tasks",
                    hours_per_week=self.rng.randint(10, 37),
                    carved_out_tasks=["cleaning tools", "packing orders"],
                    placement_kinds=kinds,
                    requirements=["driving licence"],
                    positions=2,
                )
            ),
        )
        for n in range(self.rng.randint(2, 4)):
            self._referral(cvr, opening, kinds, opened + 7 + n * 9, owner, staff)
        self.plan.at(
            opened + 60,
            lambda: self.submit(
                use.close_opening(
                    cvr=cvr,
                    by=self._doer(owner, staff, opened + 60),
                    opening_id=opening,
                    reason="filled",
                )
            ),
        )

    def _referral(
        self,
        cvr: str,
        opening: uuid.UUID,
        kinds: list[PlacementKind],
        day: int,
        owner: Staff,
        staff: list[Staff],
    ) -> None:
        candidate = uuid.UUID(int=self.rng.getrandbits(128))
        referral = uuid.uuid4()
        clarified = self.day(day - 3)
        self.plan.at(
            day,
            lambda: self.submit(
                use.refer_candidate(
                    cvr=cvr,
                    by=self._doer(owner, staff, day),
                    referral_id=referral,
                    opening_id=opening,
                    candidate_id=candidate,
                    health_clarified_on=clarified if self.rng.random() < 0.8 else None,
                    motivation_clarified_on=clarified,
                    now=self.clock(),
                )
            ),
        )
        answer = ReferralOutcome(
            self.rng.choice(
                ("hired", "hired", "declined_by_company", "declined_by_candidate", "no_show")
            )
        )
        self.plan.at(
            day + 5,
            lambda: self.submit(
                use.answer_referral(
                    cvr=cvr,
                    by=self._doer(owner, staff, day + 5),
                    referral_id=referral,
                    outcome=answer,
                    answered_on=self.day(day + 5),
                    now=self.clock(),
                )
            ),
        )
        if answer == ReferralOutcome.HIRED:
            self._placement(
                cvr, candidate, referral, self.rng.choice(kinds), day + 12, owner, staff
            )

    def _placement(
        self,
        cvr: str,
        candidate: uuid.UUID,
        referral: uuid.UUID,
        kind: PlacementKind,
        day: int,
        owner: Staff,
        staff: list[Staff],
    ) -> None:
        placement = uuid.uuid4()
        self.plan.at(
            day - 2,
            lambda: self.submit(
                use.start_placement(
                    cvr=cvr,
                    by=self._doer(owner, staff, day),
                    placement_id=placement,
                    candidate_id=candidate,
                    referral_id=referral,
                    kind=kind,
                    hours_per_week=self.rng.randint(12, 37),
                    starts_on=self.day(day),
                )
            ),
        )
        for weeks in (4, 13):
            self._follow_up(cvr, placement, day - 1, day + weeks * 7, owner, staff)
        if kind == PlacementKind.INTERNSHIP and self.rng.random() < 0.6:
            self.plan.at(
                day + 28,
                lambda: self.submit(
                    use.change_placement(
                        cvr=cvr,
                        by=self._doer(owner, staff, day + 28),
                        placement_id=placement,
                        effective_on=self.day(day + 28),
                        kind=PlacementKind.WAGE_SUBSIDY,
                        hours_per_week=30,
                    )
                ),
            )
        ends = day + self.rng.randint(40, 300)
        if ends < 362 and self.rng.random() < 0.5:
            self.plan.at(
                ends,
                lambda: self.submit(
                    use.end_placement(
                        cvr=cvr,
                        by=self._doer(owner, staff, ends),
                        placement_id=placement,
                        ends_on=self.day(ends),
                        reason=PlacementEndReason(
                            self.rng.choice(("completed", "resigned", "dismissed"))
                        ),
                        now=self.clock(),
                    )
                ),
            )

    def _follow_up(
        self,
        cvr: str,
        placement: uuid.UUID,
        scheduled: int,
        due: int,
        owner: Staff,
        staff: list[Staff],
    ) -> None:
        follow_up = uuid.uuid4()
        self.plan.at(
            scheduled,
            lambda: self.submit(
                use.schedule_follow_up(
                    cvr=cvr,
                    by=self._doer(owner, staff, scheduled),
                    follow_up_id=follow_up,
                    placement_id=placement,
                    due_on=self.day(due),
                )
            ),
        )
        if due < 360 and self.rng.random() < 0.85:
            self.plan.at(
                due,
                lambda: self.submit(
                    use.complete_follow_up(
                        cvr=cvr,
                        by=self._doer(owner, staff, due),
                        follow_up_id=follow_up,
                        held_on=self.day(due),
                        status=FollowUpStatus(
                            "on_track" if self.rng.random() < 0.75 else "at_risk"
                        ),
                        now=self.clock(),
                    )
                ),
            )


def load_demo(
    submit: Submit, clock: Callable[[], datetime], today: date, progress: Callable[[int, int], None]
) -> int:
    """Submit the whole plan in business-day order; returns the number of commands."""
    actions = DemoBuilder(submit, clock, today).build().ordered()
    for done, action in enumerate(actions, 1):
        action()
        progress(done, len(actions))
    return len(actions)


def first_demo_cvr(today: date) -> str:
    """The CVR of the demo's first company (to tell whether the demo is loaded)."""
    builder = DemoBuilder(lambda _: None, lambda: datetime.now(UTC), today)
    builder.build()
    return builder.cvrs[0]
