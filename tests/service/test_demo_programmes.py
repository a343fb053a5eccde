"""The demo's two programmes show something true at first start: a statement with a
baseline, one without, and the comparison of both, equal to their ledgers."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from services.audit.effects import comparison_body, effects_body
from services.audit.ledger import evaluate_contract
from services.cli.demo import load_demo
from services.cli.demo_data import MUNICIPALITIES
from services.cli.demo_people import enrolment
from services.cli.demo_programme import AGREEMENTS
from services.http.container import Services


def test_the_demo_programmes_have_a_baseline_and_a_comparison(services: Services) -> None:
    today = date.today()
    load_demo(
        services.committer.submit, enrolment(services), services.clock, today, lambda done, of: None
    )
    start = today - timedelta(days=364)
    bodies = []
    for code, agreement in zip(MUNICIPALITIES, AGREEMENTS, strict=False):
        contract_id = uuid.uuid5(uuid.NAMESPACE_URL, f"casebook:demo:programme:{code}:{start}")
        body = effects_body(
            services.app,
            services.views,
            contract_id,
            period=(None, None),
            today=today,
            position=None,
            postgres=False,
        )
        assert body["counterparty"]["name"] == agreement.counterparty[0]
        companies = body["companies"]
        assert len(companies) >= 3 and all(c["placements_started"] > 0 for c in companies)
        assert all(c["internships"] > 0 for c in companies)
        if agreement.baseline:
            assert all(c["baseline"] >= 2 for c in companies)
            assert all(c["above_baseline"] < c["placements_started"] for c in companies)
        else:
            assert all(c["baseline"] is None for c in companies)
            assert all(c["above_baseline"] == c["placements_started"] for c in companies)
        assert body["totals"]["durable_jobs"] > 0
        ledger = evaluate_contract(services.app, contract_id, stop=body["position"], today=today)
        assert body["totals"]["amount_ore"] == sum(e.amount_ore for e in ledger.outcomes)
        bodies.append(body)
    compared = comparison_body(
        services.app,
        services.views,
        lambda municipality: True,
        period=(None, None),
        today=today,
        postgres=False,
    )
    rows = {row["contract_id"]: row for row in compared["contracts"]}
    assert set(rows) == {b["contract_id"] for b in bodies}
    for b in bodies:
        assert (
            rows[b["contract_id"]]["cost_per_durable_job_ore"]
            == (b["totals"]["cost_per_durable_job_ore"])
        )
