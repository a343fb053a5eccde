"""The demo's job seekers are registered people with invented names, sealed like any
other: every candidate a demo referral or placement names is one of the company's
municipality, opens to an invented name, and is found by name by the consultant who
worked with them; no name is in the log in plain text."""

from __future__ import annotations

from datetime import date

from domain.candidate import Candidate
from services.api import candidate_reads as reads
from services.cli.demo import DemoBuilder, load_demo
from services.cli.demo_people import FAMILY, GIVEN, enrolment, invented_person
from services.http.auth import Principal, Role
from services.http.container import Services
from services.http.reading import projections_at
from services.read.queries.overview import company_overview
from services.read.queries.people import staff_of


def test_the_demo_job_seekers_have_invented_names_and_are_found_by_them(
    services: Services,
) -> None:
    load_demo(
        services.committer.submit,
        enrolment(services),
        services.clock,
        date.today(),
        lambda done, of: None,
    )
    at = projections_at(services)
    named = []
    builder = DemoBuilder(lambda _: None, lambda *_: None, services.clock, date.today())
    builder.build()
    for cvr in builder.cvrs:
        o = company_overview(at, cvr)
        for item in o.referrals_in_flight + o.in_placement:
            candidate = services.app.find(item["candidate_id"], Candidate)
            assert candidate is not None and candidate.municipality == o.municipality
            named.append(candidate)
    assert len(named) >= 20
    stored = "".join(
        n.state.decode("utf-8", "replace")
        for n in services.app.recorder.select_notifications(start=1, limit=100_000)
    )
    for candidate in named[:20]:
        person = invented_person(candidate.id)
        given, family = person["name"].split(" ", 1)
        assert given in GIVEN and family in FAMILY
        assert person["name"] not in stored and person["cpr"] not in stored
    first = named[0]
    name, cpr = invented_person(first.id)["name"], invented_person(first.id)["cpr"]
    typed = name.casefold().replace("æ", "ae").replace("ø", "o").replace("å", "aa")
    found_by = []
    for member in staff_of(at, first.municipality):
        who = Principal(member.id, Role.CONSULTANT, frozenset({first.municipality}))
        if (first.id, name) in reads.by_name(services, who, typed):
            found_by.append(member.id)
            assert first.id in reads.ids_by_cpr(services, who, cpr)
    assert found_by  # the consultant who referred or placed them
