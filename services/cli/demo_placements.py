"""The demo's openings, referrals, placements and follow-ups: the road from a company's
need to a job that lasts, planned for a company of the demo."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import date, datetime

from domain.values import (
    FollowUpStatus,
    PlacementEndReason,
    PlacementKind,
    ReferralOutcome,
)
from services.cli.demo_data import KINDS, Plan, Staff, Submit
from services.cli.demo_people import Enrol
from services.write import placements


class PlacementPlans:
    """The part of the demo's plan from an opening to a placement's end (a mixin of
    `DemoBuilder`, which gives it the plan, the random source and the clock)."""

    rng: random.Random
    plan: Plan
    submit: Submit
    enrol: Enrol
    clock: Callable[[], datetime]
    municipality_of: dict[str, str]

    def day(self, n: int) -> date:
        raise NotImplementedError

    def _doer(self, owner: Staff, staff: list[Staff], day: int) -> uuid.UUID:
        raise NotImplementedError

    def _opening(self, cvr: str, owner: Staff, staff: list[Staff]) -> None:
        self.rng.getrandbits(128)  # (once the opening's key) keeps the seeded plan as it was
        opening = uuid.uuid4()
        opened = self.rng.randint(15, 200)
        kinds = [PlacementKind(k) for k in self.rng.sample(KINDS, self.rng.randint(2, 4))]
        self.plan.at(
            opened,
            lambda: self.submit(
                placements.register_opening(
                    cvr=cvr,
                    by=self._doer(owner, staff, opened),
                    opening_id=opening,
                    title="Medhjælper til faste opgaver",
                    hours_per_week=self.rng.randint(10, 37),
                    carved_out_tasks=["rengøring af værktøj", "pakning af ordrer"],
                    placement_kinds=kinds,
                    requirements=["kørekort"],
                    positions=2,
                )
            ),
        )
        for n in range(self.rng.randint(2, 4)):
            self._referral(cvr, opening, kinds, opened + 7 + n * 9, owner, staff)
        self.plan.at(
            opened + 60,
            lambda: self.submit(
                placements.close_opening(
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
            day - 1,
            lambda: self.enrol(candidate, self.municipality_of[cvr], self._doer(owner, staff, day)),
        )
        self.plan.at(
            day,
            lambda: self.submit(
                placements.refer_candidate(
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
                placements.answer_referral(
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
                placements.start_placement(
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
                    placements.change_placement(
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
                    placements.end_placement(
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
                placements.schedule_follow_up(
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
                    placements.complete_follow_up(
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
