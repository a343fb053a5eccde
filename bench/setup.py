"""Shared set-up for the benchmarks: a staff member and 200 companies."""

from __future__ import annotations

import random
import uuid

from domain.company import Company
from domain.staff import StaffMember
from domain.values import StaffRole, Unit
from services.application import CasebookApplication
from services.demo import valid_cvr

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
    staff = StaffMember.join(staff_id=uuid.uuid4(), name="Bench Consultant",
                             municipality="165", unit=Unit.JOB_CENTRE,
                             role=StaffRole.CONSULTANT, municipalities=MUNICIPALITIES)
    companies = [
        Company.register(cvr=cvr, name=f"Bench {n}", municipality="165", industry="bench",
                         by=staff.as_actor(), municipalities=MUNICIPALITIES)
        for n, cvr in enumerate(company_cvrs())
    ]
    app.save(staff, *companies)
    return staff.id
