"""Three `casebook serve` processes behind HAProxy, round-robin, on one PostgreSQL: any
process answers any request; read-your-writes (`min_position`) and idempotency hold
across processes; a killed process is routed around with nothing acknowledged lost."""

from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path
from typing import Any

import httpx

from infra.settings import Settings
from tests.support.api import contact
from tests.support.cluster import Cluster, running_cluster
from tests.support.running import Service
from tests.support.tokens import acting_token

CVR = "10000009"


def send(
    service: Service, path: str, body: dict[str, Any], key: str | None = None
) -> httpx.Response:
    """A command signed as its body's staff member, with an Idempotency-Key if given."""
    headers = {"Authorization": f"Bearer {acting_token(service.settings, 'POST', path, body)}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return httpx.post(service.url + path, json=body, headers=headers, timeout=30)


def company(cluster: Cluster) -> str:
    staff: str = cluster.balanced.post(
        "/staff", {"name": "Gry", "municipality": "165", "unit": "job_centre"}
    )["id"]
    cluster.balanced.post(
        "/companies", {"cvr": CVR, "name": "A ApS", "municipality": "165", "by": staff}
    )
    return staff


def commands_taken(service: Service) -> int:
    """The `casebook_commands` figure of this one process's /metrics."""
    r = service.send("GET", "/metrics")
    assert r.status_code == 200, r.text
    found = re.search(r"^casebook_commands (\S+)$", r.text, re.MULTILINE)
    assert found is not None, r.text
    return int(float(found.group(1)))


def logged_contacts(service: Service, at: int) -> list[dict[str, Any]]:
    r = service.send(
        "GET", f"/companies/{CVR}/timeline?kind=contact_logged&limit=200&min_position={at}"
    )
    assert r.status_code == 200, r.text
    entries: list[dict[str, Any]] = r.json()["entries"]
    return entries


def test_a_write_is_read_back_whichever_process_answers(
    postgres_settings: Settings, tmp_path: Path
) -> None:
    with running_cluster(postgres_settings, tmp_path) as cluster:
        staff = company(cluster)
        for n in range(30):
            written = send(cluster.balanced, f"/companies/{CVR}/contacts", contact(staff))
            assert written.status_code == 201, written.text
            position = written.json()["position"]
            # The next request goes to another process, whose worker may not have
            # applied the contact yet: min_position makes it wait until it has.
            r = cluster.balanced.send(
                "GET", f"/companies/{CVR}/timeline?limit=1&min_position={position}"
            )
            assert r.status_code == 200, (n, r.text)
            assert r.json()["entries"][0]["position"] == position, n
        taken = [commands_taken(api) for api in cluster.apis]
        assert all(t > 0 for t in taken) and sum(taken) == 32, taken  # + staff, company


def both_at_once(
    cluster: Cluster, key: str, body: dict[str, Any]
) -> tuple[httpx.Response, httpx.Response]:
    """One command with one key sent to API processes 0 and 1 at the same moment."""
    at_once = threading.Barrier(2)
    got: dict[int, httpx.Response] = {}

    def post(i: int) -> None:
        at_once.wait()
        got[i] = send(cluster.apis[i], f"/companies/{CVR}/contacts", body, key)

    threads = [threading.Thread(target=post, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return got[0], got[1]


def test_one_key_sent_to_two_processes_at_once_is_applied_once(
    postgres_settings: Settings, tmp_path: Path
) -> None:
    with running_cluster(postgres_settings, tmp_path, apis=2) as cluster:
        staff = company(cluster)
        answers = [
            both_at_once(
                cluster, f"both-{n}-{uuid.uuid4().hex[:6]}", contact(staff, summary=f"call {n}")
            )
            for n in range(20)
        ]
        for first, second in answers:
            assert (first.status_code, second.status_code) == (201, 201), second.text
            assert first.json() == second.json()  # the same event, the same answer
        last = max(a.json()["position"] for a, _ in answers)
        summaries = sorted(e["data"]["summary"] for e in logged_contacts(cluster.apis[0], last))
        assert summaries == sorted(f"call {n}" for n in range(20))


def test_a_killed_process_is_routed_around_and_nothing_acknowledged_is_lost(
    postgres_settings: Settings, tmp_path: Path
) -> None:
    with running_cluster(postgres_settings, tmp_path) as cluster:
        staff = company(cluster)
        cluster.kill_api(0)
        acknowledged = []
        for n in range(30):
            body = contact(staff, summary=f"after the kill {n}")
            r = send(cluster.balanced, f"/companies/{CVR}/contacts", body, f"kill-{n}")
            assert r.status_code == 201, (n, r.status_code, r.text)
            acknowledged.append(r.json()["position"])
        seen = logged_contacts(cluster.apis[1], max(acknowledged))
        assert sorted(e["position"] for e in seen) == sorted(acknowledged)
