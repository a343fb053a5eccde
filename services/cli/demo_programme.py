"""The demo's payment-by-results programme: an agreement with one actor, and three
companies of the first municipality taking part from the demo's third week (so their
placements before that, and every other company's, show what does not count)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

from domain.rules import default_rules
from services.cli.demo_data import Plan
from services.write import contracts, programmes
from services.write.command import Command

DEMO_ADMIN = uuid.uuid5(uuid.NAMESPACE_URL, "casebook:demo:admin")
COUNTERPARTY = ("Den Sociale Kapitalfond (demo)", "29403473")
PRICES_ORE = (5_000_00, 15_000_00, 30_000_00)  # start, 13 and 26 weeks
JOIN_DAY = 21


def plan_programme(
    plan: Plan,
    submit: Callable[[Command], object],
    municipality: str,
    cvrs: list[str],
    period: tuple[date, date],
) -> None:
    """Plan the contract on day 0 and the companies `cvrs` joining on JOIN_DAY."""
    contract_id = uuid.uuid5(uuid.NAMESPACE_URL, f"casebook:demo:programme:{period[0]}")
    name = "Vækst med Social Bundlinje"
    plan.at(
        0,
        lambda: submit(
            contracts.agree_contract(
                contract_id=contract_id,
                municipality=municipality,
                name=name,
                period_from=period[0],
                period_to=period[1],
                rules=default_rules(period[0], PRICES_ORE),
                by=DEMO_ADMIN,
                counterparty=COUNTERPARTY,
                target_group="long_term_unemployed",
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
