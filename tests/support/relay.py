"""Helpers of the relay tests: a varied log, writers, and reading a stream back."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

import nats
from nats.js.errors import NotFoundError

from bench.setup import COMPANIES, MUNICIPALITIES, company_cvrs, seed
from domain.company import Company
from domain.staff import StaffMember
from domain.values import StaffRole, Unit, company_id
from infra.jetstream import servers
from infra.settings import Settings
from services.eventstore import CasebookApplication
from services.write import companies as commands
from services.write.committer import GroupCommitter


def varied_log(app: CasebookApplication) -> uuid.UUID:
    """Staff (one moved away and left), 200 companies, a referral and a placement."""
    staff = seed(app)
    now, today = datetime.now(UTC), date.today()
    mover = StaffMember.join(
        staff_id=uuid.uuid4(),
        name="Mads Flytter",
        municipality="165",
        unit=Unit.JOB_CENTRE,
        role=StaffRole.CONSULTANT,
        municipalities=MUNICIPALITIES,
    )
    mover.move(
        municipality="101",
        unit=Unit.BUSINESS_UNIT,
        role=StaffRole.CONSULTANT,
        moved_on=today,
        municipalities={"101", "165"},
        now=now,
    )
    mover.leave(left_on=today, reason="new job", now=now)
    company = app.find(company_id(company_cvrs()[0]), Company)
    member = app.find(staff, StaffMember)
    assert company is not None and member is not None
    actor = member.as_actor()
    opening, referral, candidate = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    company.register_opening(
        opening_id=opening,
        title="Helper",
        carved_out_tasks=["a"],
        hours_per_week=20,
        placement_kinds=["ordinary"],
        requirements=[],
        positions=1,
        by=actor,
    )
    company.refer_candidate(
        referral_id=referral,
        opening_id=opening,
        candidate_id=candidate,
        health_clarified_on=today,
        motivation_clarified_on=None,
        by=actor,
        now=now,
    )
    company.answer_referral(
        referral_id=referral, outcome="hired", answered_on=today, by=actor, now=now
    )
    company.start_placement(
        placement_id=uuid.uuid4(),
        candidate_id=candidate,
        referral_id=referral,
        kind="ordinary",
        hours_per_week=30,
        starts_on=today,
        by=actor,
    )
    app.save(mover, company)
    return staff


def log_contacts(committer: GroupCommitter, staff: uuid.UUID, count: int, offset: int = 0) -> None:
    """`count` contacts spread over the 200 companies, through the command path."""
    cvrs, now = company_cvrs(), datetime.now(UTC)
    for i in range(offset, offset + count):
        committer.submit(
            commands.log_contact(
                cvr=cvrs[i % COMPANIES],
                by=staff,
                contact_id=uuid.uuid4(),
                channel="phone",
                occurred_at=now,
                summary=f"call {i}",
                topics=[],
                now=now,
            )
        )


class Writer(threading.Thread):
    """Logs contacts in a loop until stopped."""

    def __init__(self, committer: GroupCommitter, staff: uuid.UUID, pause: float = 0.005) -> None:
        super().__init__(daemon=True)
        self.committer, self.staff, self.written, self.pause = committer, staff, 0, pause
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            log_contacts(self.committer, self.staff, 20, self.written)
            self.written += 20
            time.sleep(self.pause)


def log_ids(app: CasebookApplication) -> list[tuple[int, str]]:
    """(position, ce-id) of every event in the log, in order."""
    rows = app.recorder.select_notifications(start=1, limit=10**9)
    return [(n.id, f"{n.originator_id}:{n.originator_version}") for n in rows]


def read_stream(settings: Settings) -> list[Any]:
    """Every message of the settings' stream, in stream order."""

    async def read() -> list[Any]:
        nc = await nats.connect(servers(settings.nats_url or ""))
        js = nc.jetstream()
        try:
            info = await js.stream_info(settings.nats_stream)
        except NotFoundError:
            info = None
        if info is None or not info.state.last_seq:
            await nc.close()
            return []
        messages = [
            await js.get_msg(settings.nats_stream, seq)
            for seq in range(info.state.first_seq, info.state.last_seq + 1)
        ]
        await nc.close()
        return messages

    return asyncio.run(read())


def stream_ids(settings: Settings) -> list[tuple[int, str]]:
    """(ce-sequence, ce-id) of every message in the stream, in stream order."""
    return [(int(m.headers["ce-sequence"]), m.headers["ce-id"]) for m in read_stream(settings)]


def wait_until(condition: Any, timeout: float = 60.0, what: str = "condition") -> None:
    """Poll `condition()` until true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
