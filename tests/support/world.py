"""A small world of companies and staff that generated commands act on."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import strategies as st

CVRS = ["13748136", "24256790"]


NOW = datetime.now(UTC).replace(microsecond=0)


class World:
    """Sends random commands and remembers the ids they answered with."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.ids: dict[str, list[str]] = {
            k: []
            for k in (
                "staff",
                "candidate",
                "contact",
                "opening",
                "referral",
                "placement",
                "follow_up",
            )
        }
        self.last = 0

    def send(self, method: str, path: str, body: dict[str, Any], kind: str | None = None) -> None:
        r = self.client.request(method, path, json=body)
        if r.status_code < 300:
            self.last = max(self.last, r.json()["position"])
            if kind and r.json().get("id"):
                self.ids[kind].append(r.json()["id"])

    def step(self, data: st.DataObject) -> None:
        """One random command, aimed mostly at things that exist."""

        def pick(kind: str) -> str:
            known: list[str] = self.ids[kind] or [str(uuid.uuid4())]
            return data.draw(st.sampled_from(known))

        by, cvr = pick("staff"), data.draw(st.sampled_from(CVRS))
        c = f"/companies/{cvr}"
        day = (NOW.date() - timedelta(days=data.draw(st.integers(0, 60)))).isoformat()
        moment = (NOW - timedelta(days=data.draw(st.integers(0, 60)))).isoformat()
        today = NOW.date().isoformat()
        kinds = ["ordinary", "flex_job", "wage_subsidy", "internship"]
        ops: dict[str, tuple[str, str, dict[str, Any], str | None]] = {
            "staff": (
                "POST",
                "/staff",
                {
                    "name": data.draw(st.sampled_from(["Ask Lyng", "Dagny Møller", "Edel Æbelø"])),
                    "municipality": "165",
                    "unit": "job_centre",
                },
                "staff",
            ),
            "candidate": (
                "POST",
                "/candidates",
                {"municipality": "165", "name": "Testperson", "cpr": "0101901234", "by": by},
                "candidate",
            ),
            "register": (
                "POST",
                "/companies",
                {"cvr": cvr, "name": "Glans ApS", "municipality": "165", "by": by},
                None,
            ),
            "assign": (
                "POST",
                f"{c}/contact-person",
                {"staff_id": pick("staff"), "handover_note": "n", "by": by},
                None,
            ),
            "contact": (
                "POST",
                f"{c}/contacts",
                {"by": by, "channel": "phone", "occurred_at": moment, "summary": "s"},
                "contact",
            ),
            "correct": (
                "POST",
                f"{c}/contacts/{pick('contact')}/corrections",
                {
                    "by": by,
                    "channel": "visit",
                    "occurred_at": moment,
                    "summary": "t",
                    "reason": "r",
                },
                None,
            ),
            "opening": (
                "POST",
                f"{c}/openings",
                {"title": "H", "hours_per_week": 20, "placement_kinds": kinds, "by": by},
                "opening",
            ),
            "close": ("POST", f"{c}/openings/{pick('opening')}/close", {"by": by}, None),
            "refer": (
                "POST",
                f"{c}/referrals",
                {"opening_id": pick("opening"), "candidate_id": pick("candidate"), "by": by},
                "referral",
            ),
            "answer": (
                "POST",
                f"{c}/referrals/{pick('referral')}/answer",
                {"outcome": "hired", "answered_on": day, "by": by},
                None,
            ),
            "place": (
                "POST",
                f"{c}/placements",
                {
                    "candidate_id": pick("candidate"),
                    "kind": data.draw(st.sampled_from(kinds)),
                    "hours_per_week": 20,
                    "starts_on": day,
                    "by": by,
                },
                "placement",
            ),
            "change": (
                "POST",
                f"{c}/placements/{pick('placement')}/changes",
                {"effective_on": today, "kind": "ordinary", "hours_per_week": 30, "by": by},
                None,
            ),
            "end": (
                "POST",
                f"{c}/placements/{pick('placement')}/end",
                {"ends_on": today, "reason": "completed", "by": by},
                None,
            ),
            "follow_up": (
                "POST",
                f"{c}/follow-ups",
                {"placement_id": pick("placement"), "due_on": day, "by": by},
                "follow_up",
            ),
            "complete": (
                "POST",
                f"{c}/follow-ups/{pick('follow_up')}/complete",
                {"held_on": today, "status": "at_risk", "by": by},
                None,
            ),
            "commit": (
                "POST",
                f"{c}/commitments",
                {"description": "d", "target_hires": 2, "by_date": today, "by": by},
                None,
            ),
            "leave": ("POST", f"/staff/{pick('staff')}/leave", {"left_on": day}, None),
            "preference": (
                "PUT",
                f"{c}/contact-preference",
                {"max_contacts_per_month": 3, "by": by},
                None,
            ),
        }
        method, path, body, kind = ops[data.draw(st.sampled_from(sorted(ops)))]
        self.send(method, path, body, kind)
