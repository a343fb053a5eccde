"""The demo's payment-by-results programmes: in each of the first two municipalities an
agreement with one actor, and its companies taking part from the demo's 17th week; a
few placements of their own before joining (the first programme's baseline) and after,
and every other company's, show what counts and what does not."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import partial

from domain.rules import default_rules
from services.cli.demo_data import Plan
from services.cli.demo_people import Enrol
from services.write import contracts, placements, programmes
from services.write.command import Command

DEMO_ADMIN = uuid.uuid5(uuid.NAMESPACE_URL, "casebook:demo:admin")
PRICES_ORE = (5_000_00, 15_000_00, 30_000_00)  # start, 13 and 26 weeks
JOIN_DAY = 119
# (day, kind, hours): each participating company's own placements, two before it joins
# (its baseline where the rules ask one) and four while it takes part, one an internship.
PLACEMENTS = (
    (35, "ordinary", 30),
    (80, "flex_job", 15),
    (126, "ordinary", 37),
    (140, "internship", 20),
    (168, "flex_job", 20),
    (230, "ordinary", 25),
)


@dataclass(frozen=True)
class Agreement:
    """A programme of the demo: its name, actor, target group and whether it counts a
    baseline."""

    name: str
    counterparty: tuple[str, str]
    target_group: str
    baseline: bool


AGREEMENTS = (
    Agreement(
        "Vækst med Social Bundlinje",
        ("Den Sociale Kapitalfond (demo)", "29403473"),
        "long_term_unemployed",
        True,
    ),
    Agreement(
        "Unge i job",
        ("Virksomhedsnetværket Vest (demo)", "31415918"),
        "young_without_education",
        False,
    ),
)


def plan_programme(
    plan: Plan,
    run: tuple[Callable[[Command], object], Enrol],
    agreement: Agreement,
    place: tuple[str, list[str], uuid.UUID],
    period: tuple[date, date],
) -> None:
    """Plan the contract of municipality `place[0]` on day 0, its companies `place[1]`
    joining on JOIN_DAY, and their own placements (started by staff member `place[2]`,
    who registers their job seekers the day before); `run` submits and enrols."""
    submit, enrol = run
    municipality, cvrs, by = place
    contract_id = uuid.uuid5(
        uuid.NAMESPACE_URL, f"casebook:demo:programme:{municipality}:{period[0]}"
    )
    name = agreement.name
    rules = replace(default_rules(period[0], PRICES_ORE), baseline=agreement.baseline)
    plan.at(
        0,
        lambda: submit(
            contracts.agree_contract(
                contract_id=contract_id,
                municipality=municipality,
                name=name,
                period_from=period[0],
                period_to=period[1],
                rules=rules,
                by=DEMO_ADMIN,
                counterparty=agreement.counterparty,
                target_group=agreement.target_group,
                scope="programme",
            )
        ),
    )
    programme = programmes.Programme(contract_id, name, municipality, period)
    joined_on = plan.start + timedelta(days=JOIN_DAY)
    for cvr in cvrs:
        join = programmes.join_programme(
            programme=programme, cvr=cvr, joined_on=joined_on, by=DEMO_ADMIN
        )
        plan.at(JOIN_DAY, partial(submit, join))
        for day, kind, hours in PLACEMENTS:
            candidate = uuid.uuid5(contract_id, f"candidate:{cvr}:{day}")
            plan.at(day - 1, partial(enrol, candidate, municipality, by))
            start = placements.start_placement(
                cvr=cvr,
                by=by,
                placement_id=uuid.uuid5(contract_id, f"{cvr}:{day}"),
                candidate_id=candidate,
                referral_id=None,
                kind=kind,
                hours_per_week=hours,
                starts_on=plan.start + timedelta(days=day),
            )
            plan.at(day, partial(submit, start))
