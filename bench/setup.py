"""Shared set-up for the benchmarks: a staff member and 200 companies."""

from __future__ import annotations

import random
import uuid

from domain.company import Company
from domain.staff import StaffMember
from domain.values import StaffRole, Unit
from infra.municipalities import municipalities
from infra.settings import Settings
from services.bootstrap import migrate
from services.cli.demo_data import valid_cvr
from services.eventstore import CasebookApplication, open_application
from services.http.auth import Role, mint_token

COMPANIES = 200
MUNICIPALITIES = {"165"}


def company_cvrs() -> list[str]:
    """200 distinct valid CVRs, the same every run."""
    rng = random.Random(7)
    cvrs: list[str] = []
    while len(cvrs) < COMPANIES:
        cvr = valid_cvr(rng)
        if cvr not in cvrs:
            cvrs.append(cvr)
    return cvrs


def seed(app: CasebookApplication) -> uuid.UUID:
    """Register one consultant and the companies; return the consultant's id."""
    staff = StaffMember.join(
        staff_id=uuid.uuid4(),
        name="Bench Consultant",
        municipality="165",
        unit=Unit.JOB_CENTRE,
        role=StaffRole.CONSULTANT,
        municipalities=MUNICIPALITIES,
    )
    companies = [
        Company.register(
            cvr=cvr,
            name=f"Bench {n}",
            municipality="165",
            industry="bench",
            by=staff.as_actor(),
            municipalities=MUNICIPALITIES,
        )
        for n, cvr in enumerate(company_cvrs())
    ]
    app.save(staff, *companies)
    return staff.id


def seeded_schema(url: str) -> tuple[str, uuid.UUID]:
    """A schema of its own at `url`, migrated and seeded (`seed`): its name and the
    consultant's id."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    settings = Settings(database_url=url, postgres_schema=schema, log_level="warning")
    migrate(settings)
    app = open_application(settings)
    staff = seed(app)
    app.close()
    return schema, staff


BENCH_ENV = {
    "CASEBOOK_JWT_SECRET": "casebook-benchmarks-only-secret-0123456789",
    "CASEBOOK_CANDIDATE_KEK": "YmVuY2htYXJrcy1vbmx5LWtleS1lbmNyeXB0aW9uISE=",
    "CASEBOOK_RATE_LIMIT_PER_MINUTE": "0",  # one token sends thousands of requests a second
}
"""Keys (never used elsewhere) and settings of the production-mode servers the
benchmarks start: they measure the service, not its per-client limit."""


def bench_token(staff: object) -> str:
    """A team lead token of every municipality for this staff member, for the servers
    started with BENCH_ENV."""
    settings = Settings(jwt_secret=BENCH_ENV["CASEBOOK_JWT_SECRET"])
    return mint_token(
        settings, subject=str(staff), role=Role.TEAM_LEAD, municipalities=sorted(municipalities())
    )
