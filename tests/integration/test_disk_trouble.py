"""Disk trouble under the embedded mode: `casebook serve` on a SQLite file in a small
tmpfs of the test's own, which the test fills up or mounts read-only. Commands answer a
503 that says which trouble it is, nothing is half-written (the log, the idempotency
records and the read models agree), and once the disk is fine again the same process
takes commands, without a restart."""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx

from infra.settings import Settings
from tests.conftest import TEST_JWT_SECRET, TEST_KEK
from tests.support.api import contact
from tests.support.disk import filled, remount, small_disk
from tests.support.running import Service, answered, running_service

CVR = "10000009"
CONTACTS = f"/companies/{CVR}/contacts"
KEY_0 = {"Idempotency-Key": "contact-0"}


def _embedded(where: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{where / 'casebook.db'}",
        log_level="warning",
        jwt_secret=TEST_JWT_SECRET,
        candidate_kek=TEST_KEK,
    )


def _company(service: Service) -> str:
    """A staff member and the company; the staff member's id."""
    staff: str = service.post(
        "/staff", {"name": "Gry", "municipality": "165", "unit": "job_centre"}
    )["id"]
    service.post(
        "/companies",
        {"cvr": CVR, "name": "A ApS", "municipality": "165", "industry": "x", "by": staff},
    )
    return staff


def _log_contact(service: Service, staff: str, n: int) -> httpx.Response:
    body: dict[str, Any] = contact(staff, summary=f"contact {n}")
    return service.send("POST", CONTACTS, body, headers={"Idempotency-Key": f"contact-{n}"})


def _assert_refused(r: httpx.Response, title: str, says: str) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["Retry-After"] == "1"
    body = r.json()
    assert (body["status"], body["title"]) == (503, title), body
    assert says in body["detail"] and "nothing was written" in body["detail"], body


def _logged(settings: Settings) -> list[str]:
    """The summaries of the contacts in the log itself, in log order."""
    with closing(sqlite3.connect(settings.sqlite_path())) as conn:
        rows = conn.execute(
            "SELECT state FROM stored_events WHERE topic LIKE '%ContactLogged' ORDER BY rowid"
        ).fetchall()
        keys = conn.execute("SELECT key FROM casebook_idempotency ORDER BY key").fetchall()
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    summaries = [json.loads(state)["summary"] for (state,) in rows]
    # Each recorded answer belongs to a contact in the log, and the other way round.
    assert sorted(f"contact-{s.split()[-1]}" for s in summaries) == [k for (k,) in keys]
    return summaries


def _shown(service: Service, settings: Settings) -> list[str]:
    """The contacts the timeline shows once the read models have caught up with the log
    (bounded wait), oldest first."""
    deadline = time.monotonic() + 30
    while True:
        ready = service.send("GET", "/readyz", timeout=10)
        if ready.status_code == 200 and all(v["lag"] == 0 for v in ready.json()["views"]):
            break
        assert time.monotonic() < deadline, ready.text
        time.sleep(0.2)
    r = service.send("GET", f"/companies/{CVR}/timeline?limit=200&kind=contact_logged")
    assert r.status_code == 200, r.text
    summaries = (e["data"]["summary"] for e in r.json()["entries"])
    return sorted(summaries, key=lambda s: int(s.split()[-1]))


def test_a_full_disk_refuses_commands_until_space_is_freed(tmp_path: Path) -> None:
    """Commands on a full disk answer 503 "Disk full", write nothing, and succeed in the
    same process once space is freed; the log and the read models agree."""
    with small_disk(tmp_path / "disk") as disk:
        settings = _embedded(disk)
        with running_service(settings, tmp_path, commands=("serve",)) as service:
            staff = _company(service)
            acknowledged = []
            with filled(disk):
                # Pages SQLite holds already may take a few more commands; not many.
                for n in range(200):
                    r = _log_contact(service, staff, n)
                    if r.status_code != 201:
                        break
                    acknowledged.append(f"contact {n}")
                _assert_refused(r, "Disk full", "disk is full")
                refused = n
                _assert_refused(_log_contact(service, staff, refused), "Disk full", "disk is full")
                assert _logged(settings) == acknowledged
            again = _log_contact(service, staff, refused)
            assert again.status_code == 201, again.text
            acknowledged.append(f"contact {refused}")
            assert _log_contact(service, staff, refused).json() == again.json()  # applied once
            assert _shown(service, settings) == acknowledged
            assert _logged(settings) == acknowledged


def test_a_read_only_directory_refuses_commands_until_it_is_writable(tmp_path: Path) -> None:
    """Started on a read-only directory, the service reads, answers commands 503
    "Database read-only", and takes them in the same process once it is writable."""
    with small_disk(tmp_path / "disk") as disk:
        settings = _embedded(disk)
        with running_service(settings, tmp_path, commands=("serve",)) as service:
            staff = _company(service)
        remount(disk, "ro")
        with running_service(settings, tmp_path, commands=("serve",)) as service:
            assert service.send("GET", f"/companies/{CVR}").status_code == 200
            _assert_refused(_log_contact(service, staff, 0), "Database read-only", "read-only")
            remount(disk, "rw")
            # The connections opened read-only are replaced as each comes free: a few
            # more 503s at most, each with its Retry-After.
            r, statuses = answered(
                service, "POST", CONTACTS, contact(staff, summary="contact 0"), KEY_0
            )
            assert r.status_code == 201, (statuses, r.text)
            assert _shown(service, settings) == ["contact 0"]
            assert _logged(settings) == ["contact 0"]
