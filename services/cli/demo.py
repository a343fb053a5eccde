"""The pilot-like demo data set, loaded through the same HTTP commands a user sends.

Eight municipalities, 3-4 fictional companies each, staff of all three kinds of
actor (some leave during the year), and a year of contacts, openings,
referrals, placements of every kind, follow-ups and endings. All names are
invented; candidates are bare ids. The plan is deterministic (fixed seed).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

MUNICIPALITIES = ("165", "147", "159", "161", "657", "756", "621", "230")
INDUSTRIES = (
    ("Rengøring", "cleaning"), ("Autoværksted", "car repair"), ("Slagter", "butcher"),
    ("Glarmester", "glazier"), ("VVS", "plumbing"), ("El-installatør", "electrician"),
    ("Maskinfabrik", "machine works"), ("Ventilation", "ventilation"),
    ("Gearfabrik", "gear manufacturing"), ("IT-service", "IT services"),
    ("Murerfirma", "bricklaying"), ("Omsorgsfonden", "care foundation"),
    ("Betonskæring", "concrete cutting"), ("Kontorforsyning", "office supplies"),
)
PREFIXES = ("Nordlys", "Kastanje", "Tusindfryd", "Bølgebryder", "Lærkereden", "Hvidtjørn",
            "Stenbro", "Solsikke", "Mågeklint", "Rønnebær", "Sandhjerte", "Egeskov")
FIRST = ("Ask", "Birk", "Dagny", "Edel", "Folmer", "Gry", "Holger", "Ingrid", "Jens", "Karen",
         "Leif", "Maja", "Nanna", "Ole", "Pia", "Rasmus", "Sif", "Tove", "Ulla", "Vagn")
LAST = ("Kløvermose", "Lyngbakke", "Fjordvang", "Ravnsholt", "Engdahl", "Skovmark",
        "Havgaard", "Mosekilde", "Bakkedal", "Strandlyst")
KINDS = ("ordinary", "flex_job", "wage_subsidy", "internship")
TOPICS = ("rekruttering", "fastholdelse", "jobåbning", "opfølgning", "virksomhedspraktik",
          "løntilskud", "fleksjob", "samarbejdsaftale")
CHANNELS = ("phone", "email", "visit", "meeting", "video")

class Post(Protocol):
    """Sends one command; answers with the command's JSON body."""

    def __call__(self, path: str, body: dict[str, Any], method: str = "POST") -> dict[str, Any]:
        ...


def valid_cvr(rng: random.Random) -> str:
    """A random 8-digit number that passes the modulus-11 check."""
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        if sum(d * w for d, w in zip(digits, (2, 7, 6, 5, 4, 3, 2, 1), strict=True)) % 11 == 0:
            return "".join(map(str, digits))


@dataclass
class Staff:
    name: str
    municipality: str
    unit: str
    role: str
    leaves_on: int | None = None  # day of the year, or None
    id: str = ""


@dataclass
class Plan:
    """Actions ordered by business day; each may read ids earlier ones stored."""

    start: date
    actions: list[tuple[int, int, Callable[[], object]]] = field(default_factory=list)

    def at(self, day: int, action: Callable[[], object]) -> None:
        self.actions.append((day, len(self.actions), action))

    def ordered(self) -> list[Callable[[], object]]:
        return [a for _, _, a in sorted(self.actions, key=lambda t: (t[0], t[1]))]


class DemoBuilder:
    """Builds the plan for one year ending `today`, posting through `post`."""

    def __init__(self, post: Post, today: date, seed: int = 2019) -> None:
        self.post = post
        self.rng = random.Random(seed)
        self.today = today
        self.plan = Plan(today - timedelta(days=364))
        self.ids: dict[str, str] = {}
        self.cvrs: list[str] = []

    def day(self, n: int) -> date:
        return self.plan.start + timedelta(days=n)

    def moment(self, n: int) -> str:
        hour = self.rng.randint(8, 15)
        return datetime.combine(self.day(n), time(hour, 0), UTC).isoformat()

    def build(self) -> Plan:
        industry = 0
        for index, code in enumerate(MUNICIPALITIES):
            staff = self._staff(code, leaver=index % 3 == 0)
            for _ in range(3 + index % 2):
                self._company(code, staff, INDUSTRIES[industry % len(INDUSTRIES)])
                industry += 1
        return self.plan

    def _staff(self, code: str, *, leaver: bool) -> list[Staff]:
        units = ("job_centre", "job_centre", "business_unit", "contracted_provider")
        members = [Staff(f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}", code, u,
                         "consultant") for u in units]
        members.append(Staff(f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}", code,
                             "job_centre", "team_lead"))
        if leaver:
            members[0].leaves_on = self.rng.randint(150, 240)
        for m in members:
            self.plan.at(-1, self._join(m))
            if m.leaves_on is not None:
                self.plan.at(m.leaves_on, self._leave(m))
        return members

    def _join(self, m: Staff) -> Callable[[], object]:
        def run() -> None:
            m.id = self.post("/staff", {"name": m.name, "municipality": m.municipality,
                                        "unit": m.unit, "role": m.role})["id"]
        return run

    def _leave(self, m: Staff) -> Callable[[], object]:
        return lambda: self.post(f"/staff/{m.id}/leave", {
            "left_on": self.day(m.leaves_on or 0).isoformat(), "reason": "new job"})

    def _company(self, code: str, staff: list[Staff], industry: tuple[str, str]) -> None:
        cvr = valid_cvr(self.rng)
        self.cvrs.append(cvr)
        lead = staff[-1]
        owner = staff[0] if self.rng.random() < 0.5 else staff[1]
        name = f"{self.rng.choice(PREFIXES)} {industry[0]} ApS"
        self.plan.at(0, lambda: self.post("/companies", {
            "cvr": cvr, "name": name, "municipality": code, "industry": industry[1],
            "by": lead.id}))
        self.plan.at(1, lambda: self.post(f"/companies/{cvr}/contact-person", {
            "staff_id": owner.id, "reason": "first contact person", "by": lead.id}))
        if self.rng.random() < 0.6:
            self.plan.at(2, lambda: self.post(f"/companies/{cvr}/contact-preference", {
                "max_contacts_per_month": self.rng.randint(2, 6), "preferred_channel": "phone",
                "by": owner.id}, "PUT"))
        self._handover(cvr, owner, staff, lead)
        self._contacts(cvr, owner, staff)
        self._commitment(cvr, owner)
        for _ in range(self.rng.randint(1, 2)):
            self._opening(cvr, owner, staff)

    def _active(self, staff: list[Staff], day: int) -> list[Staff]:
        return [s for s in staff if s.role == "consultant"
                and (s.leaves_on is None or s.leaves_on > day)]

    def _doer(self, owner: Staff, staff: list[Staff], day: int) -> Staff:
        if owner.leaves_on is None or owner.leaves_on > day:
            return owner
        return self._active(staff, day)[0]

    def _handover(self, cvr: str, owner: Staff, staff: list[Staff], lead: Staff) -> None:
        if owner.leaves_on is None or self.rng.random() < 0.3:
            return  # stays in the handover queue
        day = owner.leaves_on + self.rng.randint(3, 20)
        heir = self._active(staff, day)[0]
        self.plan.at(day, lambda: self.post(f"/companies/{cvr}/contact-person", {
            "staff_id": heir.id, "reason": "previous contact person left",
            "handover_note": "Prefers calls before 10. Two openings in the workshop.",
            "by": lead.id}))

    def _contacts(self, cvr: str, owner: Staff, staff: list[Staff]) -> None:
        day = self.rng.randint(2, 20)
        while day < 364:
            doer = (self._doer(owner, staff, day) if self.rng.random() < 0.6
                    else self.rng.choice(self._active(staff, day)))
            self.plan.at(day, self._contact(cvr, doer, day))
            day += self.rng.randint(5, 25)

    def _contact(self, cvr: str, doer: Staff, day: int) -> Callable[[], object]:
        topics = self.rng.sample(TOPICS, 2)
        return lambda: self.post(f"/companies/{cvr}/contacts", {
            "by": doer.id, "channel": self.rng.choice(CHANNELS),
            "occurred_at": self.moment(day), "topics": topics,
            "summary": f"Talked about {topics[0]} and {topics[1]}."})

    def _commitment(self, cvr: str, owner: Staff) -> None:
        key = f"commitment:{cvr}"

        def agree() -> None:
            self.ids[key] = self.post(f"/companies/{cvr}/commitments", {
                "description": "Hire candidates from the job centre for carved-out tasks",
                "target_hires": self.rng.randint(1, 4), "by_date": self.day(364).isoformat(),
                "preparation": "Candidates tried in a short internship first",
                "by": owner.id})["id"]
        self.plan.at(10, agree)
        if owner.leaves_on is None:
            self.plan.at(180, lambda: self.post(
                f"/companies/{cvr}/commitments/{self.ids[key]}/reviews",
                {"reviewed_on": self.day(180).isoformat(), "note": "On course", "by": owner.id}))

    def _opening(self, cvr: str, owner: Staff, staff: list[Staff]) -> None:
        key = f"opening:{cvr}:{uuid.UUID(int=self.rng.getrandbits(128))}"
        opened = self.rng.randint(15, 200)
        kinds = self.rng.sample(KINDS, self.rng.randint(2, 4))

        def register() -> None:
            self.ids[key] = self.post(f"/companies/{cvr}/openings", {
                "title": "Helper for routine tasks", "hours_per_week": self.rng.randint(10, 37),
                "carved_out_tasks": ["cleaning tools", "packing orders"],
                "placement_kinds": kinds, "requirements": ["driving licence"],
                "positions": 2, "by": self._doer(owner, staff, opened).id})["id"]
        self.plan.at(opened, register)
        for n in range(self.rng.randint(2, 4)):
            self._referral(cvr, key, kinds, opened + 7 + n * 9, owner, staff)
        self.plan.at(opened + 60, lambda: self.post(
            f"/companies/{cvr}/openings/{self.ids[key]}/close",
            {"reason": "filled", "by": self._doer(owner, staff, opened + 60).id}))

    def _referral(self, cvr: str, opening: str, kinds: list[str], day: int, owner: Staff,
                  staff: list[Staff]) -> None:
        candidate = str(uuid.UUID(int=self.rng.getrandbits(128)))
        ref = f"referral:{candidate}"
        clarified = self.day(day - 3).isoformat()

        def refer() -> None:
            self.ids[ref] = self.post(f"/companies/{cvr}/referrals", {
                "opening_id": self.ids[opening], "candidate_id": candidate,
                "health_clarified_on": clarified if self.rng.random() < 0.8 else None,
                "motivation_clarified_on": clarified,
                "by": self._doer(owner, staff, day).id})["id"]
        self.plan.at(day, refer)
        answer = self.rng.choice(("hired", "hired", "declined_by_company",
                                  "declined_by_candidate", "no_show"))
        self.plan.at(day + 5, lambda: self.post(
            f"/companies/{cvr}/referrals/{self.ids[ref]}/answer", {
                "outcome": answer, "answered_on": self.day(day + 5).isoformat(),
                "by": self._doer(owner, staff, day + 5).id}))
        if answer == "hired":
            self._placement(cvr, candidate, ref, self.rng.choice(kinds), day + 12, owner, staff)

    def _placement(self, cvr: str, candidate: str, ref: str, kind: str, day: int,
                   owner: Staff, staff: list[Staff]) -> None:
        key = f"placement:{candidate}"

        def start() -> None:
            self.ids[key] = self.post(f"/companies/{cvr}/placements", {
                "candidate_id": candidate, "referral_id": self.ids[ref], "kind": kind,
                "hours_per_week": self.rng.randint(12, 37),
                "starts_on": self.day(day).isoformat(),
                "by": self._doer(owner, staff, day).id})["id"]
        self.plan.at(day - 2, start)
        for weeks in (4, 13):
            self._follow_up(cvr, key, day - 1, day + weeks * 7, owner, staff)
        if kind == "internship" and self.rng.random() < 0.6:
            self.plan.at(day + 28, lambda: self.post(
                f"/companies/{cvr}/placements/{self.ids[key]}/changes", {
                    "effective_on": self.day(day + 28).isoformat(), "kind": "wage_subsidy",
                    "hours_per_week": 30, "by": self._doer(owner, staff, day + 28).id}))
        ends = day + self.rng.randint(40, 300)
        if ends < 362 and self.rng.random() < 0.5:
            self.plan.at(ends, lambda: self.post(
                f"/companies/{cvr}/placements/{self.ids[key]}/end", {
                    "ends_on": self.day(ends).isoformat(),
                    "reason": self.rng.choice(("completed", "resigned", "dismissed")),
                    "by": self._doer(owner, staff, ends).id}))

    def _follow_up(self, cvr: str, placement: str, scheduled: int, due: int, owner: Staff,
                   staff: list[Staff]) -> None:
        key = f"follow-up:{placement}:{due}"

        def schedule() -> None:
            self.ids[key] = self.post(f"/companies/{cvr}/follow-ups", {
                "placement_id": self.ids[placement], "due_on": self.day(due).isoformat(),
                "by": self._doer(owner, staff, scheduled).id})["id"]
        self.plan.at(scheduled, schedule)
        if due < 360 and self.rng.random() < 0.85:
            self.plan.at(due, lambda: self.post(
                f"/companies/{cvr}/follow-ups/{self.ids[key]}/complete", {
                    "held_on": self.day(due).isoformat(),
                    "status": "on_track" if self.rng.random() < 0.75 else "at_risk",
                    "by": self._doer(owner, staff, due).id}))


def load_demo(post: Post, today: date, progress: Callable[[int, int], None]) -> int:
    """Post the whole plan in business-day order; returns the number of commands sent."""
    actions = DemoBuilder(post, today).build().ordered()
    for done, action in enumerate(actions, 1):
        action()
        progress(done, len(actions))
    return len(actions)


def first_demo_cvr(today: date) -> str:
    """The CVR of the demo's first company (to tell whether the demo is loaded)."""
    def nothing(path: str, body: dict[str, Any], method: str = "POST") -> dict[str, Any]:
        return {}

    builder = DemoBuilder(nothing, today)
    builder.build()
    return builder.cvrs[0]
