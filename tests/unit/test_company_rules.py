"""The Company aggregate's rules, as given / when / then."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from domain import errors
from domain.company import Company
from tests.support.given import (
    MUNICIPALITIES,
    NOW,
    TODAY,
    actor,
    company,
    with_opening,
    with_placement,
)


def test_registering_in_an_unknown_municipality_is_refused() -> None:
    """Only the 98 municipality codes are accepted."""
    with pytest.raises(errors.UnknownMunicipalityError, match="999"):
        Company.register(
            cvr="13748136",
            name="X",
            municipality="999",
            industry="",
            by=actor(),
            municipalities=MUNICIPALITIES,
        )


def test_registration_normalises_the_cvr_and_derives_the_stream_id() -> None:
    """A company registered as 'DK 1374 8136' is company 13748136."""
    c = Company.register(
        cvr="DK 1374 8136",
        name="X",
        municipality="165",
        industry="",
        by=actor(),
        municipalities=MUNICIPALITIES,
    )
    assert c.cvr == "13748136"
    assert c.id == uuid.uuid5(uuid.UUID("6f1c1a52-3b8e-4a51-9d7c-2f0c5e1b7a10"), "13748136")


def test_contact_person_must_be_active_staff_of_the_companys_municipality() -> None:
    """Staff of another municipality, or who left, cannot be the contact person."""
    lead = actor()
    c = company(lead)
    for staff in (actor("147"), actor("165", active=False)):
        with pytest.raises(errors.ContactPersonNotEligibleError):
            c.assign_contact_person(staff=staff, reason="", handover_note="", by=lead)
    assert c.contact_person is None
    assert c.pending_events == []


def test_handover_records_the_previous_contact_person_and_the_note() -> None:
    """A second assignment is a handover from the first person, with their note."""
    lead, first, second = actor(), actor(), actor()
    c = company(lead)
    c.assign_contact_person(staff=first, reason="first", handover_note="", by=lead)
    c.assign_contact_person(staff=second, reason="left", handover_note="calls before 10", by=lead)
    handover = c.pending_events[-1]
    assert isinstance(handover, Company.ContactPersonAssigned)
    assert handover.previous_staff_id == first.staff_id
    assert handover.handover_note == "calls before 10"
    assert c.contact_person == second.staff_id


def test_staff_who_left_cannot_log_new_work() -> None:
    """A command recorded for someone who left is refused."""
    c = company()
    with pytest.raises(errors.StaffAlreadyLeftError):
        c.log_contact(
            contact_id=uuid.uuid4(),
            by=actor(active=False),
            channel="phone",
            occurred_at=NOW,
            summary="hi",
            topics=[],
            now=NOW,
        )


def test_a_contact_may_be_logged_late_but_not_ahead_of_time() -> None:
    """occurred_at may lie weeks back, or a few minutes ahead (clock skew), not later."""
    by, c = actor(), company()
    c.log_contact(
        contact_id=uuid.uuid4(),
        by=by,
        channel="phone",
        occurred_at=NOW - timedelta(days=40),
        summary="late",
        topics=[],
        now=NOW,
    )
    c.log_contact(
        contact_id=uuid.uuid4(),
        by=by,
        channel="phone",
        occurred_at=NOW + timedelta(minutes=2),
        summary="skew",
        topics=[],
        now=NOW,
    )
    with pytest.raises(errors.BusinessDateInFutureError):
        c.log_contact(
            contact_id=uuid.uuid4(),
            by=by,
            channel="phone",
            occurred_at=NOW + timedelta(hours=1),
            summary="x",
            topics=[],
            now=NOW,
        )
    assert len(c.contacts) == 2


def test_a_correction_must_name_an_existing_contact() -> None:
    """Correcting an unknown contact is a not-found error; a known one is superseded."""
    by, c = actor(), company()
    with pytest.raises(errors.ContactNotFoundError):
        c.correct_contact(
            contact_id=uuid.uuid4(),
            channel="phone",
            occurred_at=NOW,
            summary="x",
            topics=[],
            reason="typo",
            by=by,
            now=NOW,
        )
    contact_id = uuid.uuid4()
    c.log_contact(
        contact_id=contact_id,
        by=by,
        channel="phone",
        occurred_at=NOW,
        summary="wrong",
        topics=[],
        now=NOW,
    )
    c.correct_contact(
        contact_id=contact_id,
        channel="visit",
        occurred_at=NOW,
        summary="right",
        topics=[],
        reason="typo",
        by=by,
        now=NOW,
    )
    assert contact_id in c.contacts and len(c.contacts) == 1
    assert [type(e).__name__ for e in c.collect_events()][-1] == "ContactCorrected"


def test_no_referral_to_an_unknown_or_closed_opening() -> None:
    """Referrals need an opening that exists and is open."""
    by, c = actor(), company()

    def refer(opening_id: uuid.UUID) -> None:
        c.refer_candidate(
            referral_id=uuid.uuid4(),
            opening_id=opening_id,
            candidate_id=uuid.uuid4(),
            health_clarified_on=None,
            motivation_clarified_on=None,
            by=by,
            now=NOW,
        )

    with pytest.raises(errors.OpeningNotFoundError):
        refer(uuid.uuid4())
    opening_id = with_opening(c, by)
    c.close_opening(opening_id=opening_id, reason="filled", by=by)
    with pytest.raises(errors.OpeningClosedError):
        refer(opening_id)


def test_a_referral_records_only_whether_health_and_motivation_were_clarified() -> None:
    """The event carries yes/no and a date for each, never what was found."""
    by, c = actor(), company()
    opening_id = with_opening(c, by)
    c.refer_candidate(
        referral_id=uuid.uuid4(),
        opening_id=opening_id,
        candidate_id=uuid.uuid4(),
        health_clarified_on=TODAY,
        motivation_clarified_on=None,
        by=by,
        now=NOW,
    )
    event = c.pending_events[-1]
    assert isinstance(event, Company.CandidateReferred)
    assert (event.health_clarified, event.health_clarified_on) == (True, TODAY)
    assert (event.motivation_clarified, event.motivation_clarified_on) == (False, None)


def test_a_referral_is_answered_once() -> None:
    """A second answer to the same referral is refused."""
    by, c = actor(), company()
    opening_id, referral_id = with_opening(c, by), uuid.uuid4()
    c.refer_candidate(
        referral_id=referral_id,
        opening_id=opening_id,
        candidate_id=uuid.uuid4(),
        health_clarified_on=None,
        motivation_clarified_on=None,
        by=by,
        now=NOW,
    )
    c.answer_referral(referral_id=referral_id, outcome="hired", answered_on=TODAY, by=by, now=NOW)
    with pytest.raises(errors.ReferralAlreadyAnsweredError):
        c.answer_referral(
            referral_id=referral_id, outcome="no_show", answered_on=TODAY, by=by, now=NOW
        )


@pytest.mark.parametrize("hours", [0, -1, 38, 60])
def test_hours_per_week_lie_within_1_to_37(hours: int) -> None:
    """Placements and openings outside 1-37 hours are refused."""
    by, c = actor(), company()
    with pytest.raises(errors.HoursOutOfRangeError):
        c.start_placement(
            placement_id=uuid.uuid4(),
            candidate_id=uuid.uuid4(),
            referral_id=None,
            kind="flex_job",
            hours_per_week=hours,
            starts_on=TODAY,
            by=by,
        )
    with pytest.raises(errors.HoursOutOfRangeError):
        c.register_opening(
            opening_id=uuid.uuid4(),
            title="x",
            carved_out_tasks=[],
            hours_per_week=hours,
            placement_kinds=["ordinary"],
            requirements=[],
            positions=1,
            by=by,
        )
    assert c.placements == {}
    assert c.openings == {}


def test_a_planned_placement_start_may_lie_ahead() -> None:
    """A placement can be recorded before it starts."""
    by, c = actor(), company()
    placement_id = with_placement(c, by, starts_on=TODAY + timedelta(days=30))
    assert c.placements[placement_id].starts_on == TODAY + timedelta(days=30)


def test_a_placement_cannot_end_twice_or_before_it_starts() -> None:
    """An end before the start is invalid; a second end conflicts with the first."""
    by, c = actor(), company()
    placement_id = with_placement(c, by, starts_on=date(2026, 3, 1))
    with pytest.raises(errors.PlacementDateError):
        c.end_placement(
            placement_id=placement_id, ends_on=date(2026, 2, 28), reason="other", by=by, now=NOW
        )
    c.end_placement(
        placement_id=placement_id, ends_on=date(2026, 5, 1), reason="completed", by=by, now=NOW
    )
    with pytest.raises(errors.PlacementAlreadyEndedError):
        c.end_placement(
            placement_id=placement_id, ends_on=date(2026, 5, 2), reason="other", by=by, now=NOW
        )


def test_a_placement_change_from_internship_to_wage_subsidy() -> None:
    """Kind and hours change from a date; an ended placement cannot change."""
    by, c = actor(), company()
    placement_id = with_placement(c, by, kind="internship")
    assert c.placements[placement_id].kind == "internship"
    c.change_placement(
        placement_id=placement_id,
        effective_on=date(2026, 4, 1),
        kind="wage_subsidy",
        hours_per_week=25,
        by=by,
    )
    assert c.placements[placement_id].kind == "wage_subsidy"
    c.end_placement(
        placement_id=placement_id, ends_on=date(2026, 5, 1), reason="completed", by=by, now=NOW
    )
    with pytest.raises(errors.PlacementAlreadyEndedError):
        c.change_placement(
            placement_id=placement_id,
            effective_on=date(2026, 5, 2),
            kind="ordinary",
            hours_per_week=37,
            by=by,
        )


def test_a_follow_up_may_be_due_ahead_and_is_completed_once() -> None:
    """Follow-ups are scheduled ahead; completing one twice is refused."""
    by, c = actor(), company()
    placement_id, follow_up_id = with_placement(c, by), uuid.uuid4()
    c.schedule_follow_up(
        follow_up_id=follow_up_id,
        placement_id=placement_id,
        due_on=TODAY + timedelta(days=28),
        by=by,
    )
    c.complete_follow_up(
        follow_up_id=follow_up_id, held_on=TODAY, status="on_track", by=by, now=NOW
    )
    with pytest.raises(errors.FollowUpAlreadyCompletedError):
        c.complete_follow_up(
            follow_up_id=follow_up_id, held_on=TODAY, status="at_risk", by=by, now=NOW
        )


def test_a_refused_command_leaves_no_event_behind() -> None:
    """Commands validate before they trigger, so a refusal changes nothing."""
    by, c = actor(), company()
    version = c.version
    with pytest.raises(errors.PlacementNotFoundError):
        c.end_placement(placement_id=uuid.uuid4(), ends_on=TODAY, reason="other", by=by, now=NOW)
    assert (c.version, c.pending_events) == (version, [])


def test_a_placement_cannot_end_before_its_last_change() -> None:
    """An end dated before a recorded change of kind or hours is refused."""
    by, c = actor(), company()
    placement_id = with_placement(c, by, starts_on=date(2026, 3, 1))
    c.change_placement(
        placement_id=placement_id,
        effective_on=date(2026, 4, 1),
        kind="wage_subsidy",
        hours_per_week=25,
        by=by,
    )
    with pytest.raises(errors.PlacementDateError, match="last"):
        c.end_placement(
            placement_id=placement_id, ends_on=date(2026, 3, 15), reason="other", by=by, now=NOW
        )


def test_only_a_hire_leads_to_a_placement() -> None:
    """A referral answered declined or no-show cannot start a placement."""
    by, c = actor(), company()
    opening_id, referral_id, candidate = with_opening(c, by), uuid.uuid4(), uuid.uuid4()
    c.refer_candidate(
        referral_id=referral_id,
        opening_id=opening_id,
        candidate_id=candidate,
        health_clarified_on=None,
        motivation_clarified_on=None,
        by=by,
        now=NOW,
    )
    c.answer_referral(referral_id=referral_id, outcome="no_show", answered_on=TODAY, by=by, now=NOW)
    with pytest.raises(errors.ReferralAlreadyAnsweredError, match="no_show"):
        c.start_placement(
            placement_id=uuid.uuid4(),
            candidate_id=candidate,
            referral_id=referral_id,
            kind="ordinary",
            hours_per_week=30,
            starts_on=TODAY,
            by=by,
        )
