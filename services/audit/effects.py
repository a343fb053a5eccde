"""A programme contract's effect statement, recomputed from the sealed log: pinned to a
log position and the seal's digest there, so that replayed later at that position and
day it gives the same figures (the JSON and CSV bodies of GET /contracts/{id}/effects)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from domain.effects import STILL_EMPLOYED_WEEKS, Statement, statement
from domain.errors import ContractNotFoundError, InvalidValue, NotAProgrammeError
from services.audit.effects_changes import changes_since
from services.audit.ledger import Evaluation, evaluate_contract, fold_log
from services.audit.ledger_json import terms
from services.audit.seal import Sealer
from services.eventstore import CasebookApplication
from services.read.db import ProjectionDb


def _pinned(sealer: Sealer, position: int | None) -> tuple[int, str]:
    """The position and digest a statement is pinned to: `position` (sealed already), or
    the log's end, sealed first (as for an invoice)."""
    if position is None:
        return sealer.seal_all()
    head, _ = sealer.head()
    if position > head:
        raise InvalidValue(
            f"position {position} is past the sealed log (sealed to {head}): "
            "omit it for a statement of the log's end"
        )
    return position, sealer.digest_at(position) or ""


def effects_body(
    app: CasebookApplication,
    views: ProjectionDb,
    contract_id: UUID,
    *,
    period: tuple[date | None, date | None],
    today: date,
    position: int | None,
    postgres: bool,
    since: int | None = None,
) -> dict[str, Any]:
    """The statement as JSON, pinned to a sealed position and its digest; with `since`,
    also what changed since the statement of the same period and day at that position."""
    sealer = Sealer(app, views, postgres=postgres)
    position, digest = _pinned(sealer, position)
    if since is not None and since > position:
        raise InvalidValue(f"since {since} lies after the statement's position {position}")
    evaluation = evaluate_contract(app, contract_id, stop=position, today=today)
    if not evaluation.contract.is_programme:
        raise NotAProgrammeError(
            f"contract {contract_id} counts every placement in municipality "
            f"{evaluation.contract.municipality}: an effect statement is of a programme's "
            "companies"
        )
    body = _body(evaluation, period, position, digest)
    if since is not None:
        try:
            earlier = evaluate_contract(app, contract_id, stop=since, today=today)
        except ContractNotFoundError:
            raise InvalidValue(
                f"since {since} lies before contract {contract_id} was agreed"
            ) from None
        before = _body(earlier, period, since, sealer.digest_at(since) or "")
        body["changes"] = changes_since(before, body)
    return body


def comparison_body(
    app: CasebookApplication,
    views: ProjectionDb,
    visible: Callable[[str], bool],
    *,
    period: tuple[date | None, date | None],
    today: date,
    postgres: bool,
) -> dict[str, Any]:
    """Every programme contract of a municipality `visible` allows, side by side: jobs
    started, durable jobs, amount, cost per durable job and per job started (one pass
    over the log, pinned like a statement)."""
    position, digest = _pinned(Sealer(app, views, postgres=postgres), None)
    folded = fold_log(app, stop=position)
    rows = []
    for contract in folded.contracts.values():
        if not contract.is_programme or not visible(contract.municipality):
            continue
        body = _body(folded.evaluation(contract, today), period, position, digest)
        rows.append(
            {
                "contract_id": body["contract_id"],
                "name": body["name"],
                "municipality": body["municipality"],
                "counterparty": body["counterparty"],
                "from": body["from"],
                "to": body["to"],
                "companies": len(body["companies"]),
                **body["totals"],
            }
        )
    return {"as_of": today.isoformat(), "position": position, "digest": digest, "contracts": rows}


def _body(
    evaluation: Evaluation,
    period: tuple[date | None, date | None],
    position: int,
    digest: str,
) -> dict[str, Any]:
    contract, facts, today = evaluation.contract, evaluation.facts, evaluation.today
    chosen = (period[0] or contract.period_from, period[1] or contract.period_to)
    if chosen[1] < chosen[0]:
        raise InvalidValue("`to` lies before `from`")
    found = statement(
        contract.id,
        facts.facts(contract.municipality),
        facts.participations,
        {k: v[0] for k, v in facts.companies.items()},
        facts.programme_facts(contract.municipality, contract.id, contract.rule_book),
        evaluation.outcomes,
        contract.rule_book,
        today,
        chosen,
    )
    return {
        "contract_id": str(contract.id),
        "name": contract.name,
        "municipality": contract.municipality,
        **terms(contract),
        "from": chosen[0].isoformat(),
        "to": chosen[1].isoformat(),
        "as_of": today.isoformat(),
        "position": position,
        "digest": digest,
        "durable_milestone": found.durable_milestone,
        "companies": [_company(c) for c in found.companies],
        "totals": _totals(found),
    }


def _company(c: Any) -> dict[str, Any]:
    return {
        "cvr": c.cvr,
        "company_id": str(c.company_id),
        "participations": [
            {
                "from": p.joined_on.isoformat(),
                "to": p.left_on.isoformat() if p.left_on else None,
            }
            for p in c.participations
        ],
        "placements_started": c.started,
        "internships": c.internships,
        "milestones": c.milestones,
        "still_employed": {f"{w}_weeks": c.still_employed[w] for w in STILL_EMPLOYED_WEEKS},
        "durable_jobs": c.durable,
        "hours_per_week": c.hours_per_week,
        "amount_ore": c.amount_ore,
        "baseline": c.baseline,
        "above_baseline": c.above_baseline,
    }


def _totals(s: Statement) -> dict[str, Any]:
    return {
        "placements_started": s.started,
        "durable_jobs": s.durable,
        "amount_ore": s.amount_ore,
        "cost_per_durable_job_ore": s.cost_per_durable_job_ore(),
        "cost_per_job_started_ore": s.cost_per_job_started_ore(),
    }


def effects_csv(body: dict[str, Any]) -> str:
    """The statement as CSV: one row per participating company, then the totals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    still = [f"still_employed_{w}_weeks" for w in STILL_EMPLOYED_WEEKS]
    names = sorted({m for c in body["companies"] for m in c["milestones"]})
    writer.writerow(
        [
            "cvr",
            "participations",
            "placements_started",
            "internships",
            *(f"reached_{m}" for m in names),
            *still,
            "durable_jobs",
            "hours_per_week",
            "amount_ore",
            "baseline",
            "above_baseline",
        ]
    )
    for c in body["companies"]:
        periods = "; ".join(f"{p['from']}..{p['to'] or ''}" for p in c["participations"])
        writer.writerow(
            [
                c["cvr"],
                periods,
                c["placements_started"],
                c["internships"],
                *(c["milestones"].get(m, 0) for m in names),
                *c["still_employed"].values(),
                c["durable_jobs"],
                "" if c["hours_per_week"] is None else c["hours_per_week"],
                c["amount_ore"],
                "" if c["baseline"] is None else c["baseline"],
                c["above_baseline"],
            ]
        )
    t = body["totals"]
    blanks = [""] * (len(names) + len(still))
    writer.writerow(
        ["total", "", t["placements_started"], "", *blanks, t["durable_jobs"], "", t["amount_ore"]]
    )
    return out.getvalue()
