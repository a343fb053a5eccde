"""The API process SIGKILLed while 16 clients post commands with `Idempotency-Key`s, then
started again; every client retries what went unanswered with the same key: every
acknowledged command is in the log exactly once, and the read models equal a rebuild."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import httpx

from domain.company import Company
from infra.settings import Settings
from services.eventstore import open_application
from services.read.db import ProjectionDb
from tests.support.api import contact
from tests.support.rebuilt import assert_views_equal_rebuild, wait_for_views
from tests.support.relay import wait_until
from tests.support.running import Service, running_service
from tests.support.tokens import acting_token

CLIENTS = 16
COMPANIES = ("10000009", "10000017", "10000025", "10000033")
KILLS = 5  # at most: until a command committed but unanswered has come back at least once


class Client(threading.Thread):
    """Posts contacts, each with a key of its own, until told to pause; what was not
    answered (a refused connection, a reset, a 503) it keeps to retry with the same key."""

    def __init__(self, service: Service, cvr: str, staff: str) -> None:
        super().__init__(daemon=True)
        self.service, self.cvr, self.staff = service, cvr, staff
        self.answered: dict[str, str] = {}  # key -> the contact's id
        self.unanswered: list[str] = []
        self.replayed = 0  # answers to a retry that the first, unanswered, try committed
        self.went_unanswered = 0
        self.wrong: list[str] = []  # answers neither 201 nor a 503 with Retry-After
        self.pause = threading.Event()
        path = f"/companies/{cvr}/contacts"
        token = acting_token(service.settings, "POST", path, contact(staff))
        # One client for all its requests: a new one per request (an SSL context each)
        # kept 17 threads busy on the GIL.
        self.http = httpx.Client(
            base_url=service.url, timeout=10, headers={"Authorization": f"Bearer {token}"}
        )

    def run(self) -> None:
        while not self.pause.is_set():
            # An unanswered request first, with its key: the client cannot know whether
            # it was applied.
            self.post(self.unanswered[0] if self.unanswered else uuid.uuid4().hex)

    def post(self, key: str) -> bool:
        """Post the contact of this key once; whether it was acknowledged."""
        try:
            r = self.http.post(
                f"/companies/{self.cvr}/contacts",
                json=contact(self.staff, summary=f"call {key}"),
                headers={"Idempotency-Key": key},
            )
        except httpx.TransportError:
            r = None
        if r is None or r.status_code == 503:
            if r is not None and "Retry-After" not in r.headers:
                self.wrong.append(f"a 503 without Retry-After: {r.text}")
            if key not in self.unanswered:
                self.unanswered.append(key)
                self.went_unanswered += 1
            self.pause.wait(0.2)
            return False
        if r.status_code != 201:
            self.wrong.append(f"{r.status_code}: {r.text}")
            self.pause.wait(0.2)
            return False
        self.answered[key] = r.json()["id"]
        if key in self.unanswered:
            self.unanswered.remove(key)
            self.replayed += r.headers.get("Idempotent-Replayed") == "true"
        return True


def _acknowledged(clients: list[Client]) -> int:
    return sum(len(c.answered) for c in clients)


def _all_answered(clients: list[Client], floor: int) -> bool:
    return _acknowledged(clients) >= floor and not any(c.unanswered for c in clients)


def test_a_killed_api_retried_with_the_same_keys_records_each_command_once(
    postgres_settings: Settings, tmp_path: Path
) -> None:
    """SIGKILL `casebook serve` under 16 posting clients, start it again, retry: the log
    holds exactly one contact per key, and the read models equal a rebuild."""
    with running_service(postgres_settings, tmp_path) as service:
        staff = service.post(
            "/staff", {"name": "Gry", "municipality": "165", "unit": "job_centre"}
        )["id"]
        for cvr in COMPANIES:
            service.post(
                "/companies",
                {"cvr": cvr, "name": f"{cvr} ApS", "municipality": "165", "by": staff},
            )
        clients = [Client(service, COMPANIES[i % len(COMPANIES)], staff) for i in range(CLIENTS)]
        for c in clients:
            c.start()
        kills = 0
        while kills < KILLS and (kills == 0 or sum(c.replayed for c in clients) == 0):
            floor = _acknowledged(clients) + 50
            wait_until(lambda n=floor: _acknowledged(clients) >= n, what="commands acknowledged")
            service.kill("serve")
            kills += 1
            service.start("serve")
            floor = _acknowledged(clients) + 50
            wait_until(lambda n=floor: _all_answered(clients, n), what="the retries answered")
        for c in clients:
            c.pause.set()
            c.join(30)
            c.http.close()
        assert [w for c in clients for w in c.wrong] == []
        assert not any(c.unanswered for c in clients)  # each was retried until answered
        answered = {k: v for c in clients for k, v in c.answered.items()}
        replayed = sum(c.replayed for c in clients)
        unanswered = sum(c.went_unanswered for c in clients)
        print(
            f"acknowledged {len(answered)}, unanswered then retried {unanswered}, "
            f"applied before the kill (replayed) {replayed}, kills {kills}"
        )

        app = open_application(postgres_settings)
        views = ProjectionDb(postgres_settings)
        try:
            events = map(
                app.mapper.to_domain_event,
                app.recorder.select_notifications(start=1, limit=10**6),
            )
            logged = [e for e in events if isinstance(e, Company.ContactLogged)]
            ids = [str(e.contact_id) for e in logged]
            assert sorted(ids) == sorted(answered.values())  # none lost, none twice
            assert sorted(e.summary.removeprefix("call ") for e in logged) == sorted(answered)
            # (After the log: without the keys a kill's committed command comes twice.)
            assert replayed >= 1, "no kill caught a command committed but not yet answered"
            wait_for_views(views, app.last_position())
            assert_views_equal_rebuild(app, views)
        finally:
            views.close()
            app.close()
