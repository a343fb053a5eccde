"""The pilot-like demo data set, built with the same use cases the API's routes run.

Eight municipalities, 3-4 fictional companies each, staff of all three kinds of
actor (some leave during the year), and a year of contacts, openings,
referrals, placements of every kind, follow-ups and endings. All names are
invented, the job seekers' too (registered with sealed, invented personal data). The
plan is deterministic (fixed seed).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from domain.values import (
    Channel,
    StaffRole,
    Unit,
)
from services.cli.demo_data import (
    CHANNELS,
    FIRST,
    INDUSTRIES,
    LAST,
    MUNICIPALITIES,
    PREFIXES,
    TOPICS,
    Plan,
    Staff,
    Submit,
    valid_cvr,
)
from services.cli.demo_people import Enrol
from services.cli.demo_placements import PlacementPlans
from services.cli.demo_programme import AGREEMENTS, plan_programme
from services.write import companies as use
from services.write import staff as staff_use


class DemoBuilder(PlacementPlans):
    """Builds the plan for one year ending `today`; each action submits one command,
    recorded at `clock()` for the staff member the plan names."""

    def __init__(
        self,
        submit: Submit,
        enrol: Enrol,
        clock: Callable[[], datetime],
        today: date,
        seed: int = 2019,
    ) -> None:
        self.submit = submit
        self.enrol = enrol
        self.municipality_of: dict[str, str] = {}
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
            first = len(self.cvrs)
            for _ in range(3 + index % 2):
                self._company(code, staff, INDUSTRIES[industry % len(INDUSTRIES)])
                industry += 1
            if index < len(AGREEMENTS):  # its companies take part in a programme
                place = (code, self.cvrs[first:], staff[2].id)  # the business unit's
                period = (self.plan.start, self.today)
                plan_programme(
                    self.plan, (self.submit, self.enrol), AGREEMENTS[index], place, period
                )
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
                reason="nyt job",
                now=self.clock(),
            )
        )

    def _company(self, code: str, staff: list[Staff], industry: tuple[str, str]) -> None:
        cvr = valid_cvr(self.rng)
        self.cvrs.append(cvr)
        self.municipality_of[cvr] = code
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
                    reason="første kontaktperson",
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
                    reason="tidligere kontaktperson er stoppet",
                    handover_note=(
                        "Foretrækker opkald før kl. 10. To ledige stillinger på værkstedet."
                    ),
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
                    summary=f"Talte om {topics[0]} og {topics[1]}.",
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
                    description="Ansætte kandidater fra jobcentret til udskilte opgaver",
                    target_hires=self.rng.randint(1, 4),
                    by_date=self.day(364),
                    preparation="Kandidaterne prøves først af i en kort praktik",
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
                        note="Går som planlagt",
                        now=self.clock(),
                    )
                ),
            )


def load_demo(
    submit: Submit,
    enrol: Enrol,
    clock: Callable[[], datetime],
    today: date,
    progress: Callable[[int, int], None],
) -> int:
    """Submit the whole plan in business-day order; returns the number of commands."""
    actions = DemoBuilder(submit, enrol, clock, today).build().ordered()
    for done, action in enumerate(actions, 1):
        action()
        progress(done, len(actions))
    return len(actions)


def first_demo_cvr(today: date) -> str:
    """The CVR of the demo's first company (to tell whether the demo is loaded)."""
    builder = DemoBuilder(lambda _: None, lambda *_: None, lambda: datetime.now(UTC), today)
    builder.build()
    return builder.cvrs[0]
