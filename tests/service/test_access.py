"""Who may see what: every route x every role x own / other municipality.

The matrix is generated from the app's own route table and each route's declared
rule, so a new route without a rule fails here (and the app refuses to start).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from infra.settings import Settings
from services.app import create_app
from services.http.access import RouteInfo, Scope, api_routes, assert_covered
from services.http.auth import DEVELOPMENT_JWT_SECRET, Role, check_production_keys, mint_token
from services.http.container import Services
from tests.support.services import acting_client, open_services

OWN, OTHER = "165", "147"
HIDDEN = ("no company", "no staff member", "no candidate", "no outcome contract", "no invoice")


@dataclass
class World:
    """Two municipalities, each with a company, staff and a candidate."""

    settings: Settings
    client: TestClient
    consultant: dict[str, str]  # municipality -> staff id
    team_lead: dict[str, str]
    company: dict[str, str]  # municipality -> CVR
    candidate: dict[str, str]
    contract: dict[str, str]
    invoice: dict[str, str]

    def token(
        self, role: Role, municipalities: list[str] | None = None, subject: str | None = None
    ) -> dict[str, str]:
        codes = [OWN] if municipalities is None else municipalities
        if subject is None:
            subject = {
                Role.CONSULTANT: self.consultant[OWN],
                Role.TEAM_LEAD: self.team_lead[OWN],
            }.get(role, f"someone-{role}")
        signed = mint_token(self.settings, subject=subject, role=role, municipalities=codes)
        return {"Authorization": f"Bearer {signed}"}


@pytest.fixture
def world(memory_settings: Settings) -> Iterator[World]:
    services = open_services(memory_settings)
    client = acting_client(services)
    people: dict[str, dict[str, str]] = {"consultant": {}, "team_lead": {}}
    companies, candidates, contracts, invoices = {}, {}, {}, {}
    for code, cvr in ((OWN, "13748136"), (OTHER, "24256790")):
        for role in ("consultant", "team_lead"):
            r = client.post(
                "/staff",
                json={
                    "name": f"{role} {code}",
                    "municipality": code,
                    "unit": "job_centre",
                    "role": role,
                },
            )
            assert r.status_code == 201, r.text
            people[role][code] = r.json()["id"]
        by = people["consultant"][code]
        r = client.post(
            "/companies", json={"cvr": cvr, "name": f"Firma {code}", "municipality": code, "by": by}
        )
        assert r.status_code == 201, r.text
        companies[code] = cvr
        r = client.post(
            "/candidates",
            json={"municipality": code, "name": "Kim Test", "cpr": "010190-1234", "by": by},
        )
        assert r.status_code == 201, r.text
        candidates[code] = r.json()["id"]
        r = client.post(
            f"/companies/{cvr}/placements",
            json={
                "by": by,
                "candidate_id": candidates[code],
                "kind": "ordinary",
                "hours_per_week": 30,
                "starts_on": "2026-01-05",
            },
        )
        assert r.status_code == 201, r.text
        contracts[code] = contract_for(client, code)
        invoices[code] = invoice_of(client, contracts[code])
    yield World(
        memory_settings,
        client,
        people["consultant"],
        people["team_lead"],
        companies,
        candidates,
        contracts,
        invoices,
    )
    services.close()


def contract_for(client: TestClient, municipality: str) -> str:
    """An outcome contract of the municipality for 2026 (recorded by an admin)."""
    r = client.post(
        "/contracts",
        json={
            "municipality": municipality,
            "name": "Resultatkontrakt",
            "period_from": "2026-01-01",
            "period_to": "2026-12-31",
            "rules": {"default_prices_ore": [100_00, 200_00, 300_00]},
        },
    )
    assert r.status_code == 201, r.text
    contract_id: str = r.json()["id"]
    return contract_id


def invoice_of(client: TestClient, contract_id: str) -> str:
    """An invoice for 2026 under the contract."""
    r = client.post(
        f"/contracts/{contract_id}/invoices",
        json={"period_from": "2026-01-01", "period_to": "2026-12-31"},
    )
    assert r.status_code == 201, r.text
    invoice_id: str = r.json()["id"]
    return invoice_id


def _routes(app: FastAPI) -> list[RouteInfo]:
    return api_routes(app)


def _path(world: World, route: RouteInfo, where: str) -> str:
    values = {
        "cvr": world.company[where],
        "staff_id": world.consultant[where],
        "candidate_id": world.candidate[where],
        "list_name": "in_placement",
        "contract_id": world.contract[where],
        "invoice_id": world.invoice[where],
    }
    return re.sub(
        r"\{(\w+)(:\w+)?\}", lambda m: values.get(m.group(1), str(uuid.uuid4())), route.path
    )


def test_every_route_declares_a_rule(world: World) -> None:
    """No route without an explicit rule; the app refuses to start with one."""
    app = world.client.app
    assert isinstance(app, FastAPI)
    routes = _routes(app)
    assert len(routes) > 30
    assert [r.path for r in routes if r.rule is None] == []
    bare = APIRouter()

    @bare.get("/forgotten")
    def forgotten() -> None:
        return None

    app.include_router(bare)
    with pytest.raises(RuntimeError, match="/forgotten"):
        assert_covered(app)


def _public_answer(method: str, status: int, case: str) -> None:
    """A public page answers 200; a public form (sign in, sign out) posted empty may
    answer 422, but never as if a token were needed or with a server error."""
    if "/app/auth/callback" in case:  # no provider in these tests: nothing to finish
        assert status == 404, case
    elif method == "GET":
        assert status == 200, case
    else:
        assert status in (200, 422), case


def test_every_route_every_role_own_and_other_municipality(world: World) -> None:
    """A role outside the rule: 403. Another municipality's data: 404, as if unknown.
    Allowed: neither 401, 403 nor the scope's 404 (empty bodies mostly stop at 422)."""
    app = world.client.app
    assert isinstance(app, FastAPI)
    checked = 0
    for route in _routes(app):
        rule, method = route.rule, route.method
        assert rule is not None
        for role in Role:
            for where in (OWN, OTHER):
                path = _path(world, route, where)
                headers = {} if rule.scope is Scope.PUBLIC else world.token(role)
                body: dict[str, Any] | None = {} if method in ("POST", "PUT") else None
                r = world.client.request(method, path, json=body, headers=headers)
                case = f"{role} {method} {path} ({where})"
                if rule.scope is Scope.PUBLIC:
                    _public_answer(method, r.status_code, case)
                elif role not in rule.roles:
                    assert r.status_code == 403, (case, r.text)
                elif where == OTHER and rule.scope in (
                    Scope.COMPANY,
                    Scope.STAFF,
                    Scope.CANDIDATE,
                    Scope.CONTRACT,
                    Scope.INVOICE,
                ):
                    assert r.status_code == 404, (case, r.text)
                    # As a word: a random id in the detail may hold the digits.
                    assert re.search(rf"\b{OTHER}\b", r.json()["detail"]) is None, case
                else:
                    assert r.status_code not in (401, 403), (case, r.text)
                    if r.status_code == 404:  # an unknown opening etc., not the scope
                        assert not r.json()["detail"].startswith(HIDDEN), (case, r.text)
                checked += 1
    assert checked >= 300


SCOPED = (Scope.COMPANY, Scope.STAFF, Scope.CANDIDATE, Scope.CONTRACT, Scope.INVOICE)
# Ids that name nothing: a CVR that passes the check, and random UUIDs.
UNKNOWN_CVR = "12345674"


def _unknown_path(route: RouteInfo) -> tuple[str, list[str]]:
    """The route's path naming things that do not exist, and the ids it names."""
    named: list[str] = []

    def unknown(m: re.Match[str]) -> str:
        value = UNKNOWN_CVR if m.group(1) == "cvr" else str(uuid.uuid4())
        if m.group(1) == "list_name":
            return "in_placement"
        named.append(value)
        return value

    return re.sub(r"\{(\w+)(:\w+)?\}", unknown, route.path), named


def _without_request_id(body: bytes) -> bytes:
    """A problem body without the id of its own request (each request has another)."""
    return re.sub(rb'"request_id":"[0-9a-f]+"', b'"request_id":"-"', body)


def test_another_municipalitys_thing_answers_byte_for_byte_as_one_that_does_not_exist(
    world: World,
) -> None:
    """On every route that names a company, staff member, candidate, contract or invoice,
    and for every role the route allows, what another municipality holds answers exactly
    (status, headers that matter, body) as an id that names nothing; the request body is
    not even looked at first."""
    app = world.client.app
    assert isinstance(app, FastAPI)
    compared = 0
    for route in _routes(app):
        rule = route.rule
        assert rule is not None
        if rule.scope not in SCOPED:
            continue
        for role in sorted(rule.roles):
            headers = world.token(role)
            body: dict[str, Any] | None = {} if route.method in ("POST", "PUT") else None
            hidden_path = _path(world, route, OTHER)
            unknown_path, unknown_ids = _unknown_path(route)
            hidden = world.client.request(route.method, hidden_path, json=body, headers=headers)
            unknown = world.client.request(route.method, unknown_path, json=body, headers=headers)
            case = f"{role} {route.method} {route.path}"
            assert hidden.status_code == unknown.status_code == 404, (case, hidden.text)
            assert hidden.headers["content-type"] == unknown.headers["content-type"], case
            shown = hidden.content
            for other_id, unknown_id in zip(
                [p for p in hidden_path.split("/") if p],
                [p for p in unknown_path.split("/") if p],
                strict=True,
            ):
                if other_id != unknown_id:
                    assert unknown_id in unknown_ids, case
                    shown = shown.replace(other_id.encode(), unknown_id.encode())
            assert _without_request_id(shown) == _without_request_id(unknown.content), (
                case,
                hidden.text,
                unknown.text,
            )
            compared += 1
    assert compared >= 40


def test_no_token_is_401_on_every_route_but_health(world: World) -> None:
    """Every non-public route asks for a bearer token."""
    app = world.client.app
    assert isinstance(app, FastAPI)
    for route in _routes(app):
        rule, method = route.rule, route.method
        assert rule is not None
        r = world.client.request(method, _path(world, route, OWN), headers={"Authorization": ""})
        if rule.scope is Scope.PUBLIC:
            _public_answer(method, r.status_code, route.path)
        else:
            assert r.status_code == 401, route.path
            assert r.headers["www-authenticate"].startswith("Bearer")


def test_another_municipality_company_answers_exactly_like_an_unknown_one(world: World) -> None:
    """The 404 for a hidden company is the 404 for one that does not exist."""
    headers = world.token(Role.CONSULTANT)
    hidden = world.client.get(f"/companies/{world.company[OTHER]}", headers=headers)
    unknown = world.client.get("/companies/12345674", headers=headers)
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["title"] == unknown.json()["title"]
    assert hidden.json()["detail"].replace(world.company[OTHER], "X") == unknown.json()[
        "detail"
    ].replace("12345674", "X")
    hits = world.client.get("/companies", params={"q": "Firma"}, headers=headers).json()
    assert [h["municipality"] for h in hits] == [OWN]
    hits = world.client.get(
        "/companies", params={"q": "Firma", "municipality": OTHER}, headers=headers
    ).json()
    assert hits == []


def test_writing_to_another_municipality_is_refused(world: World) -> None:
    """A consultant of 165 cannot log work on, or register a company in, 147."""
    headers = world.token(Role.CONSULTANT)
    r = world.client.post(
        f"/companies/{world.company[OTHER]}/contacts",
        headers=headers,
        json={
            "channel": "phone",
            "occurred_at": "2026-01-05T10:00:00+01:00",
            "summary": "x",
            "topics": [],
        },
    )
    assert r.status_code == 404
    r = world.client.post(
        "/companies", headers=headers, json={"cvr": "12345674", "name": "Ny", "municipality": OTHER}
    )
    assert r.status_code == 403
    r = world.client.post(
        f"/companies/{world.company[OWN]}/contacts",
        headers=headers,
        json={
            "channel": "phone",
            "occurred_at": "2026-01-05T10:00:00+01:00",
            "summary": "x",
            "topics": [],
            "by": world.consultant[OTHER],
        },
    )
    assert r.status_code == 403  # nobody records work in someone else's name


def test_an_auditor_reads_across_exactly_the_token_municipalities(world: World) -> None:
    both = world.token(Role.AUDITOR, [OWN, OTHER])
    for code in (OWN, OTHER):
        assert (
            world.client.get(f"/companies/{world.company[code]}", headers=both).status_code == 200
        )
    one = world.token(Role.AUDITOR, [OTHER])
    assert world.client.get(f"/companies/{world.company[OWN]}", headers=one).status_code == 404
    r = world.client.post(
        f"/companies/{world.company[OTHER]}/contacts",
        headers=both,
        json={
            "channel": "phone",
            "occurred_at": "2026-01-05T10:00:00+01:00",
            "summary": "x",
            "topics": [],
        },
    )
    assert r.status_code == 403


def test_a_consultant_hands_over_only_their_own_company(world: World) -> None:
    """Reassigning someone else's company is for team leads."""
    cvr = world.company[OWN]
    me, lead = world.consultant[OWN], world.team_lead[OWN]
    mine = world.token(Role.CONSULTANT)
    r = world.client.post(
        f"/companies/{cvr}/contact-person",
        headers=mine,
        json={"staff_id": me, "reason": "takes the company"},
    )
    assert r.status_code == 200, r.text  # a company without a contact person
    r = world.client.post(
        f"/companies/{cvr}/contact-person",
        headers=mine,
        json={"staff_id": lead, "reason": "handover", "handover_note": "ring Kim"},
    )
    assert r.status_code == 200, r.text  # their own company
    r = world.client.post(
        f"/companies/{cvr}/contact-person",
        headers=mine,
        json={"staff_id": me, "reason": "take it back"},
    )
    assert r.status_code == 403, r.text  # no longer theirs
    r = world.client.post(
        f"/companies/{cvr}/contact-person",
        headers=world.token(Role.TEAM_LEAD),
        json={"staff_id": me, "reason": "reassigned"},
    )
    assert r.status_code == 200, r.text


def test_a_consultant_sees_only_their_own_caseload(world: World) -> None:
    mine = world.token(Role.CONSULTANT)
    assert (
        world.client.get(f"/staff/{world.consultant[OWN]}/caseload", headers=mine).status_code
        == 200
    )
    assert (
        world.client.get(f"/staff/{world.team_lead[OWN]}/caseload", headers=mine).status_code == 403
    )
    assert (
        world.client.get(
            f"/staff/{world.consultant[OWN]}/caseload", headers=world.token(Role.TEAM_LEAD)
        ).status_code
        == 200
    )


def _claims(world: World, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": world.consultant[OWN],
        "role": "consultant",
        "aud": "casebook",
        "municipalities": [OWN],
        "iat": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _bad_tokens(world: World) -> dict[str, str]:
    secret = DEVELOPMENT_JWT_SECRET
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    unsigned = jwt.encode(_claims(world), key=None, algorithm="none")  # type: ignore[arg-type]
    return {
        "expired": jwt.encode(_claims(world, exp=int(time.time()) - 3600), secret),
        "alg none": unsigned,
        "alg none, no dot": unsigned.rstrip("."),
        "wrong key": jwt.encode(_claims(world), "another-secret-that-is-long-enough-32b"),
        "wrong algorithm (HS512)": jwt.encode(_claims(world), secret, algorithm="HS512"),
        "wrong algorithm (RS256)": jwt.encode(_claims(world), rsa_key, algorithm="RS256"),
        "unknown role": jwt.encode(_claims(world, role="superuser"), secret),
        "no role": jwt.encode(_claims(world, role=None), secret),
        "wrong audience": jwt.encode(_claims(world, aud="someone-else"), secret),
        "no audience": jwt.encode(_claims(world, aud=None), secret),
        "no expiry": jwt.encode(_claims(world, exp=None), secret),
        "staff subject not an id": jwt.encode(_claims(world, sub="gry"), secret),
        "bad municipalities": jwt.encode(_claims(world, municipalities="165"), secret),
        "garbage": "not.a.token",
    }


def test_bad_tokens_are_401_with_a_reason(world: World) -> None:
    path = f"/companies/{world.company[OWN]}"
    good = jwt.encode(_claims(world), DEVELOPMENT_JWT_SECRET)
    assert world.client.get(path, headers={"Authorization": f"Bearer {good}"}).status_code == 200
    for case, token in _bad_tokens(world).items():
        r = world.client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, (case, r.text)
        assert r.json()["detail"], case
    r = world.client.get(path, headers={"Authorization": f"Basic {good}"})
    assert r.status_code == 401


def test_metrics_are_for_the_service_role(world: World) -> None:
    assert world.client.get("/metrics", headers=world.token(Role.SERVICE)).status_code == 200
    assert world.client.get("/metrics", headers=world.token(Role.ADMIN)).status_code == 403
    assert world.client.get("/healthz", headers={"Authorization": ""}).status_code == 200


def test_production_refuses_the_development_keys(postgres_url: str) -> None:
    """No real key, the development key, or a short key: refused at start."""
    base = {"database_url": postgres_url}
    for extra in ({}, {"jwt_secret": DEVELOPMENT_JWT_SECRET}, {"jwt_secret": "short"}):
        with pytest.raises(RuntimeError, match="JWT"):
            check_production_keys(Settings(**base, **extra))  # type: ignore[arg-type]
    check_production_keys(Settings(**base, jwt_secret="x" * 40))  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="CANDIDATE_KEK"):
        create_app(Settings(**base, jwt_secret="x" * 40))  # type: ignore[arg-type]


def test_the_embedded_mode_accepts_the_documented_development_key(services: Services) -> None:
    check_production_keys(services.settings)
    token = jwt.encode(
        {"sub": "svc", "role": "service", "aud": "casebook", "exp": int(time.time()) + 60},
        DEVELOPMENT_JWT_SECRET,
    )
    client = TestClient(create_app(services.settings, services))
    assert client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 200


W, R, CAND = "consultant team_lead", "auditor consultant team_lead", "candidate"
POLICY: dict[tuple[str, str], tuple[str, str]] = {
    # Companies: staff of the company's municipality write; auditors read too.
    ("POST", "/companies"): (W, "token"),
    **{
        ("POST", f"/companies/{{cvr}}{tail}"): (W, "company")
        for tail in (
            "/details",
            "/contact-person",
            "/contacts",
            "/contacts/{contact_id}/corrections",
            "/openings",
            "/openings/{opening_id}/close",
            "/referrals",
            "/referrals/{referral_id}/answer",
            "/placements",
            "/placements/{placement_id}/changes",
            "/placements/{placement_id}/end",
            "/follow-ups",
            "/follow-ups/{follow_up_id}/complete",
            "/commitments",
            "/commitments/{commitment_id}/reviews",
        )
    },
    ("PUT", "/companies/{cvr}/contact-preference"): (W, "company"),
    ("GET", "/companies"): (R, "token"),
    ("GET", "/companies/{cvr}"): (R, "company"),
    ("GET", "/companies/{cvr}/overview/{list_name}"): (R, "company"),
    ("GET", "/companies/{cvr}/timeline"): (R, "company"),
    ("GET", "/companies/{cvr}/state"): (R, "company"),
    # Work lists: a consultant sees their own; team leads and auditors everyone's.
    ("GET", "/staff/{staff_id}/caseload"): (R, "staff"),
    ("GET", "/staff/{staff_id}/notices"): (R, "staff"),
    ("GET", "/handover-queue"): ("auditor team_lead", "token"),
    ("GET", "/follow-ups/due"): (R, "token"),
    # Staff are managed by admins.
    ("POST", "/staff"): ("admin", "token"),
    ("POST", "/staff/{staff_id}/moves"): ("admin", "staff"),
    ("POST", "/staff/{staff_id}/leave"): ("admin", "staff"),
    # Candidates: personal data only for their municipality's staff; team leads erase.
    ("POST", "/candidates"): (W, "token"),
    ("POST", "/candidates/lookup"): (W, "token"),
    ("GET", "/candidates/{candidate_id}"): (W, CAND),
    ("GET", "/candidates/{candidate_id}/access-log"): ("auditor team_lead", CAND),
    ("POST", "/candidates/{candidate_id}/clarifications"): (W, CAND),
    ("POST", "/candidates/{candidate_id}/erase"): ("team_lead", CAND),
    # The web app's pages: the same roles and scopes as the data they show.
    ("GET", "/app/login"): ("", "public"),
    ("POST", "/app/login"): ("", "public"),
    ("POST", "/app/logout"): ("", "public"),
    ("GET", "/app"): (R, "token"),
    ("GET", "/app/my-work"): (R, "token"),
    ("GET", "/app/team"): ("auditor team_lead", "token"),
    ("GET", "/app/dashboard"): (R, "token"),
    ("GET", "/app/companies/{cvr}"): (R, "company"),
    ("POST", "/app/companies/{cvr}/{action}"): (W, "company"),
    ("GET", "/app/contracts"): ("admin auditor", "token"),
    ("GET", "/app/contracts/{contract_id}"): ("admin auditor", "contract"),
    ("GET", "/app/invoices/{invoice_id}"): ("admin auditor", "invoice"),
    ("POST", "/app/invoices/{invoice_id}/disputes"): ("auditor", "invoice"),
    ("POST", "/app/invoices/{invoice_id}/disputes/{dispute_id}/resolution"): (
        "admin auditor",
        "invoice",
    ),
    ("GET", "/app/export"): ("admin auditor", "token"),
    # Candidates in the web app: as the API's candidate routes.
    ("GET", "/app/candidates"): (W, "token"),
    ("POST", "/app/candidates"): (W, "token"),
    ("GET", "/app/candidates/new"): (W, "token"),
    ("POST", "/app/candidates/new"): (W, "token"),
    ("GET", "/app/candidates/{candidate_id}"): (W, CAND),
    ("POST", "/app/candidates/{candidate_id}"): (W, CAND),
    ("POST", "/app/candidates/{candidate_id}/erase"): ("team_lead", CAND),
    # Operations.
    ("GET", "/healthz"): ("", "public"),
    ("GET", "/readyz"): ("", "public"),
    ("GET", "/metrics"): ("service", "token"),
    # The event log: every event for services; an auditor's municipalities only.
    ("GET", "/events"): ("auditor service", "token"),
    # Payment by results: admins record contracts and invoice; auditors read and dispute.
    ("POST", "/contracts"): ("admin", "token"),
    ("POST", "/contracts/{contract_id}/amendments"): ("admin", "contract"),
    ("GET", "/contracts/{contract_id}/ledger"): ("admin auditor", "contract"),
    ("POST", "/contracts/{contract_id}/invoices"): ("admin", "contract"),
    ("POST", "/contracts/{contract_id}/participants"): ("admin", "contract"),
    ("GET", "/app/contracts/{contract_id}/effects"): ("admin auditor", "contract"),
    ("GET", "/effects"): ("admin auditor", "token"),
    ("GET", "/app/effects"): ("admin auditor", "token"),
    # The identity provider's way back, and where it lands after signing out there.
    ("GET", "/app/auth/callback"): ("", "public"),
    ("GET", "/app/signed-out"): ("", "public"),
    ("GET", "/contracts/{contract_id}/effects"): ("admin auditor", "contract"),
    ("POST", "/contracts/{contract_id}/participants/{cvr}/end"): ("admin", "contract"),
    ("GET", "/invoices/{invoice_id}"): ("admin auditor", "invoice"),
    ("POST", "/invoices/{invoice_id}/disputes"): ("auditor", "invoice"),
    ("POST", "/invoices/{invoice_id}/disputes/{dispute_id}/resolution"): (
        "admin auditor",
        "invoice",
    ),
}


def test_the_declared_rules_are_the_reviewed_policy(world: World) -> None:
    """Each route's rule equals this file's policy table: a new route, or a changed
    rule, must be added here too, where a reviewer sees it."""
    app = world.client.app
    assert isinstance(app, FastAPI)
    declared = {
        (r.method, r.path): (" ".join(sorted(r.rule.roles)), str(r.rule.scope))
        for r in _routes(app)
        if r.rule is not None
    }
    assert declared == POLICY
