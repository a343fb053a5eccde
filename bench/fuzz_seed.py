"""Data for fuzzing casebook, registered through the API before schemathesis runs:
the tokens of every role, the ids its operations' paths name, and values for body
fields no schema can bound (bench/fuzz.py)."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any

import httpx

from infra.clock import local_now
from infra.municipalities import municipalities
from infra.settings import Settings
from services.cli.demo_data import valid_cvr
from services.http.auth import Role, mint_token


class _Seeder:
    """Data for the operations that name something, registered through the API."""

    def __init__(self, url: str, tokens: dict[str, str]) -> None:
        self.client = httpx.Client(base_url=url, timeout=30)
        self.tokens = tokens

    def post(self, role: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = self.client.post(
            path, json=body, headers={"Authorization": f"Bearer {self.tokens[role]}"}
        )
        if r.status_code >= 300:
            raise RuntimeError(f"seeding POST {path}: {r.status_code} {r.text}")
        answer: dict[str, Any] = r.json()
        return answer


Seeded = tuple[dict[str, str], dict[str, str], dict[str, list[str]], dict[str, dict[str, str]]]


def seed(url: str, settings: Settings) -> Seeded:
    """Staff, a company with a contact, an opening, a candidate, a referral, a placement,
    a follow-up, a commitment, a contract with an invoice and a dispute: the tokens of
    every role, the path parameters that name these, values for body fields, and the
    path parameters of the operations that use something up."""
    api, staff = _staff(url, settings)
    company = _company(api, staff["consultant"])
    period = _period()
    contract = _contract(api, period)
    parameters = {f"path.{name}": value for name, value in {**company, **contract}.items()}
    parameters["path.staff_id"] = staff["colleague"]
    values = {
        "staff_id": [staff["consultant"], staff["lead"]],
        "occurred_at": [(local_now() - timedelta(minutes=10)).isoformat()],
        "period_from": [period["period_from"]],
        "period_to": [period["period_to"]],
        **{name: [str(local_now().date())] for name in DAYS},
        **{name: [company[name]] for name in BODY_IDS},
        "cpr": [SEEDED_CPR],  # a lookup by CPR number finds the seeded candidate
    }
    return api.tokens, parameters, values, _own_resources(api, company["cvr"], period)


SEEDED_CPR = "010190-1234"
BODY_IDS = ("opening_id", "candidate_id", "placement_id", "referral_id")


def _staff(url: str, settings: Settings) -> tuple[_Seeder, dict[str, str]]:
    """A consultant, a team lead and a colleague of municipality 165, and every role's
    token (each covering all 98 municipalities)."""
    every = sorted(municipalities())

    def token(subject: str, role: Role) -> str:
        return mint_token(settings, subject=subject, role=role, municipalities=every)

    api = _Seeder(
        url, {str(r): token(f"fuzz-{r}", r) for r in (Role.ADMIN, Role.AUDITOR, Role.SERVICE)}
    )
    where = {"municipality": "165", "unit": "job_centre"}
    staff = {
        "consultant": api.post("admin", "/staff", {"name": "Fuzz Consultant", **where})["id"],
        "lead": api.post("admin", "/staff", {"name": "Fuzz Lead", "role": "team_lead", **where})[
            "id"
        ],
        "colleague": api.post("admin", "/staff", {"name": "Fuzz Colleague", **where})["id"],
    }
    api.tokens["consultant"] = token(staff["consultant"], Role.CONSULTANT)
    api.tokens["team_lead"] = token(staff["lead"], Role.TEAM_LEAD)
    return api, staff


def _company(api: _Seeder, consultant: str) -> dict[str, str]:
    """A company of 165 and its work: the ids, by the path parameters' names."""
    now = local_now()
    today = now.date()
    company = {"cvr": valid_cvr(random.Random()), "name": "Fuzz ApS", "municipality": "165"}
    cvr = api.post("consultant", "/companies", company)["cvr"]
    c = f"/companies/{cvr}"

    def post(path: str, body: dict[str, Any]) -> str:
        return str(api.post("consultant", path, body)["id"])

    api.post("consultant", f"{c}/contact-person", {"staff_id": consultant})
    when = (now - timedelta(hours=1)).isoformat()
    ids = {"cvr": cvr}
    ids["contact_id"] = post(
        f"{c}/contacts", {"channel": "phone", "occurred_at": when, "summary": "Call"}
    )
    opening = {"title": "Warehouse", "hours_per_week": 30, "placement_kinds": ["ordinary"]}
    ids["opening_id"] = post(f"{c}/openings", {**opening, "positions": 50})
    person = {"municipality": "165", "name": "Fuzz Person", "cpr": SEEDED_CPR}
    ids["candidate_id"] = post("/candidates", person)
    ids["referral_id"] = post(
        f"{c}/referrals", {"opening_id": ids["opening_id"], "candidate_id": ids["candidate_id"]}
    )
    placement = {"kind": "ordinary", "hours_per_week": 30, "starts_on": str(today)}
    ids["placement_id"] = post(
        f"{c}/placements", {"candidate_id": ids["candidate_id"], **placement}
    )
    ids["follow_up_id"] = post(
        f"{c}/follow-ups", {"placement_id": ids["placement_id"], "due_on": str(today)}
    )
    ids["commitment_id"] = post(
        f"{c}/commitments",
        {"description": "Two hires", "target_hires": 2, "by_date": str(today + timedelta(90))},
    )
    return ids


def _period() -> dict[str, str]:
    year = local_now().year
    return {"period_from": f"{year}-01-01", "period_to": f"{year}-12-31"}


def _contract(api: _Seeder, period: dict[str, str]) -> dict[str, str]:
    """A contract of 165 for this year, an invoice of its start milestone, a dispute."""
    body = {"municipality": "165", "name": "Fuzz contract", **period}
    contract = api.post("admin", "/contracts", {**body, "rules": {"default_prices_ore": [1, 2, 3]}})
    invoice = api.post("admin", f"/contracts/{contract['id']}/invoices", period)["id"]
    dispute = api.post("auditor", f"/invoices/{invoice}/disputes", {"reason": "Check"})["id"]
    return {"contract_id": contract["id"], "invoice_id": invoice, "dispute_id": dispute}


def _own_resources(api: _Seeder, cvr: str, period: dict[str, str]) -> dict[str, dict[str, str]]:
    """What an operation uses up gets one of its own, so another operation's success
    (an ended placement, a closed opening, a staff member who left, an erasure hold)
    does not leave it nothing to accept: per operation, the path parameters to use."""
    c, today = f"/companies/{cvr}", str(local_now().date())
    admin = {"municipality": "165", "unit": "job_centre"}
    leaving = api.post("admin", "/staff", {"name": "Fuzz Leaver", **admin})["id"]
    moving = api.post("admin", "/staff", {"name": "Fuzz Mover", **admin})["id"]
    closing = api.post(
        "consultant",
        f"{c}/openings",
        {"title": "To close", "hours_per_week": 30, "placement_kinds": ["ordinary"]},
    )["id"]
    person = {"municipality": "165", "name": "Fuzz Other", "cpr": "020290-1234"}
    placed, erased = (api.post("consultant", "/candidates", person)["id"] for _ in range(2))
    placement = {"kind": "ordinary", "hours_per_week": 30, "starts_on": today}
    changing = api.post("consultant", f"{c}/placements", {"candidate_id": placed, **placement})
    cvr_b = api.post(
        "consultant",
        "/companies",
        {"cvr": valid_cvr(random.Random()), "name": "Fuzz B ApS", "municipality": "101"},
    )["cvr"]
    placed_b = api.post("consultant", "/candidates", {**person, "municipality": "101"})["id"]
    api.post(
        "consultant", f"/companies/{cvr_b}/placements", {"candidate_id": placed_b, **placement}
    )
    rules = {"default_prices_ore": [1, 2, 3]}
    contract_b = {"municipality": "101", "name": "Fuzz B", **period, "rules": rules}
    invoicing = api.post("admin", "/contracts", contract_b)["id"]
    programme = {**contract_b, "name": "Fuzz programme", "scope": "programme"}
    programme_id = api.post("admin", "/contracts", programme)["id"]
    api.post(
        "admin",
        f"/contracts/{programme_id}/participants",
        {"cvr": cvr_b, "from": period["period_from"]},
    )
    return {
        "GET /contracts/{contract_id}/effects": {"path.contract_id": programme_id},
        "POST /contracts/{contract_id}/participants/{cvr}/end": {
            "path.contract_id": programme_id,
            "path.cvr": cvr_b,
        },
        "POST /staff/{staff_id}/leave": {"path.staff_id": leaving},
        "POST /staff/{staff_id}/moves": {"path.staff_id": moving},
        "POST /companies/{cvr}/openings/{opening_id}/close": {"path.opening_id": closing},
        "POST /companies/{cvr}/placements/{placement_id}/changes": {
            "path.placement_id": changing["id"]
        },
        "POST /companies/{cvr}/placements/{placement_id}/end": {
            "path.placement_id": changing["id"]
        },
        "POST /candidates/{candidate_id}/erase": {"path.candidate_id": erased},
        "POST /contracts/{contract_id}/invoices": {"path.contract_id": invoicing},
    }


# Dates no schema can bound (not ahead of today, not before a placement's start, an
# amendment from today on): today is offered for half of their generated values.
DAYS = (
    "answered_on",
    "held_on",
    "ends_on",
    "reviewed_on",
    "moved_on",
    "left_on",
    "health_clarified_on",
    "motivation_clarified_on",
    "effective_on",
    "effective_from",
    "starts_on",
    "due_on",
)


def config_text(
    parameters: dict[str, str], values: dict[str, list[str]], own: dict[str, dict[str, str]]
) -> str:
    """schemathesis.toml: the seeded ids as path parameters; the seeded ids and the
    dates above offered for body fields of those names (half the time: the other half
    is generated as usual)."""
    lines = ["[parameters]"]
    lines += [f'"{name}" = "{value}"' for name, value in parameters.items()]
    lines += [f'"body.{name}" = {{ dictionary = "{name}", probability = 0.5 }}' for name in values]
    for name, entries in values.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(entries)}"]
    for operation, its in own.items():
        given = ", ".join(f'"{k}" = "{v}"' for k, v in its.items())
        lines += ["[[operations]]", f'include-name = "{operation}"', f"parameters = {{ {given} }}"]
    return "\n".join(lines) + "\n"
