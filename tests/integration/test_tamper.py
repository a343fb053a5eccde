"""Tamper evidence: edit the stored log directly (SQLite and PostgreSQL); verify and the
CLI catch every change, removal, reordering, insertion and truncation."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from infra.settings import Settings
from services.audit.seal import Sealer
from services.audit.verify import (
    EXIT_BITS,
    TAMPERED_BASE,
    Report,
    fast_pass,
    stored_pairs,
    verify,
    verify_stored,
)
from services.eventstore import open_application
from services.read.db import ProjectionDb
from tests.support.cli import ADMIN, CASEBOOK, YEAR, company_client
from tests.support.services import new_candidate, open_services


class Raw:
    """Direct access to the event table, around the application (as an attacker has)."""

    def __init__(self, settings: Settings) -> None:
        self.pg = settings.backend == "postgres"
        self.settings = settings
        self.table = f'"{settings.postgres_schema}".casebook_events' if self.pg else "stored_events"
        self.pos = "notification_id" if self.pg else "rowid"
        self.seal = f'"{settings.postgres_schema}".casebook_seal' if self.pg else "casebook_seal"

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        """A cursor in one committed transaction, with %s placeholders on both."""
        if self.pg:
            with psycopg.connect(self.settings.database_url) as conn, conn.cursor() as cur:
                yield cur
            return
        lite = sqlite3.connect(self.settings.sqlite_path())
        try:
            yield _Qmark(lite.cursor())
            lite.commit()
        finally:
            lite.close()

    def row(self, cur: Any, position: int) -> tuple[Any, ...]:
        cur.execute(
            f"SELECT originator_id, originator_version, topic, state FROM {self.table} "
            f"WHERE {self.pos} = %s",
            (position,),
        )
        found: tuple[Any, ...] = cur.fetchone()
        return found

    def put(self, cur: Any, position: int, row: tuple[Any, ...]) -> None:
        cur.execute(
            f"UPDATE {self.table} SET originator_id = %s, originator_version = %s, "
            f"topic = %s, state = %s WHERE {self.pos} = %s",
            (*row, position),
        )

    def change_byte(self, position: int) -> None:
        with self.cursor() as cur:
            ident, version, topic, state = self.row(cur, position)
            state = bytearray(state)
            state[-3] ^= 0x01
            self.put(cur, position, (ident, version, topic, bytes(state)))

    def delete(self, position: int) -> None:
        with self.cursor() as cur:
            cur.execute(f"DELETE FROM {self.table} WHERE {self.pos} = %s", (position,))

    def swap(self, p: int, q: int) -> None:
        with self.cursor() as cur:
            a, b = self.row(cur, p), self.row(cur, q)
            self.put(cur, p, (a[0], -1, a[2], a[3]))  # free a's key for a moment
            self.put(cur, q, a)
            self.put(cur, p, b)

    def insert(self, position: int) -> None:
        """Make room at `position` by moving every later event one on, and put a
        fabricated event there (a copy of the first event under a new stream id)."""
        with self.cursor() as cur:
            _, version, topic, state = self.row(cur, 1)
            for shift in (1_000_000, -999_999):
                cur.execute(
                    f"UPDATE {self.table} SET {self.pos} = {self.pos} + %s WHERE {self.pos} >= %s",
                    (shift, position),
                )
            ident: Any = uuid.uuid4() if self.pg else str(uuid.uuid4())
            cur.execute(
                f"INSERT INTO {self.table} ({self.pos}, originator_id, "
                "originator_version, topic, state) VALUES (%s, %s, %s, %s, %s)",
                (position, ident, version, topic, state),
            )

    def seal_digest(self, position: int) -> None:
        with self.cursor() as cur:
            cur.execute(
                f"UPDATE {self.seal} SET digest = %s WHERE position = %s", ("00" * 32, position)
            )

    def seal_prev_in_capitals(self, position: int) -> None:
        with self.cursor() as cur:
            cur.execute(
                f"UPDATE {self.seal} SET prev = upper(prev) WHERE position = %s", (position,)
            )

    def unseal_after(self, position: int) -> None:
        """Drop the seal's rows after `position`, as if the seal lagged behind the log."""
        with self.cursor() as cur:
            cur.execute(f"DELETE FROM {self.seal} WHERE position > %s", (position,))

    def truncate_after(self, position: int) -> None:
        with self.cursor() as cur:
            cur.execute(f"DELETE FROM {self.table} WHERE {self.pos} > %s", (position,))


class _Qmark:
    def __init__(self, cur: sqlite3.Cursor) -> None:
        self._cur = cur

    def execute(self, statement: str, params: tuple[Any, ...] = ()) -> None:
        self._cur.execute(statement.replace("%s", "?"), params)

    def fetchone(self) -> Any:
        return self._cur.fetchone()


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest) -> Settings:
    """A SQLite file, then a PostgreSQL schema."""
    found: Settings = request.getfixturevalue(f"{request.param}_settings")
    return found


def build_log(settings: Settings) -> dict[str, Any]:
    """Staff, a company with placements, a contract with an invoice, and later contacts;
    all sealed. Returns the invoice as GET /invoices/{id} shows it."""
    services = open_services(settings)
    try:
        client, staff = company_client(settings, services)
        for day in ("2026-01-05", "2026-02-02", "2026-03-02"):
            r = client.post(
                "/companies/13748136/placements",
                json={
                    "by": staff,
                    "candidate_id": new_candidate(client, "13748136", staff),
                    "kind": "ordinary",
                    "hours_per_week": 30,
                    "starts_on": day,
                },
            )
            assert r.status_code == 201, r.text
        r = client.post(
            "/contracts",
            json={
                "municipality": "165",
                "name": "VSB",
                **YEAR,
                "by": ADMIN,
                "rules": {"default_prices_ore": [100_00, 200_00, 300_00]},
            },
        )
        contract_id = r.json()["id"]
        r = client.post(f"/contracts/{contract_id}/invoices", json={**YEAR, "by": ADMIN})
        assert r.status_code == 201, r.text
        issued: dict[str, Any] = client.get(f"/invoices/{r.json()['id']}").json()
        for n in range(4):
            client.post(
                "/companies/13748136/contacts",
                json={
                    "by": staff,
                    "channel": "phone",
                    "occurred_at": "2026-06-01T10:00:00+02:00",
                    "summary": f"call {n}",
                    "topics": [],
                },
            )
    finally:
        services.close()
    run_verify(settings, seal=True)
    return issued


def run_verify(settings: Settings, *, seal: bool = False, pins: tuple[int, ...] = ()) -> Report:
    """Verify the stored log (sealing it to its end first when asked)."""
    app, views = open_application(settings), ProjectionDb(settings)
    try:
        if seal:
            Sealer(app, views, postgres=settings.backend == "postgres").seal_all()
        return verify_stored(settings, app, views, pins=pins)
    finally:
        views.close()
        app.close()


def kinds(report: Report) -> set[str]:
    """The kinds of difference found."""
    return {f.kind for f in report.findings}


TAMPERING: dict[str, tuple[Callable[[Raw], None], set[str]]] = {
    "change one byte": (lambda raw: raw.change_byte(5), {"changed"}),
    "delete one": (lambda raw: raw.delete(5), {"removed"}),
    "swap two": (lambda raw: raw.swap(4, 6), {"reordered"}),
    "insert one": (lambda raw: raw.insert(5), {"inserted", "reordered"}),
    "rewrite the seal's digest": (lambda raw: raw.seal_digest(5), {"seal_broken"}),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_verify_catches_direct_edits_of_the_log(settings: Settings, case: str) -> None:
    """Each edit is reported as what it is, at the position where it happened."""
    build_log(settings)
    intact = run_verify(settings)
    assert intact.findings == [] and intact.exit_status == 0
    tamper, expected = TAMPERING[case]
    tamper(Raw(settings))
    report = run_verify(settings)
    assert kinds(report) == expected, report.findings
    assert 5 in {f.position for f in report.findings} or case == "swap two"
    assert report.exit_status == TAMPERED_BASE + sum(EXIT_BITS[k] for k in expected)


def test_verify_catches_a_truncated_tail_and_the_invoice_digest_no_longer_matches(
    settings: Settings,
) -> None:
    """Cutting the log before an invoice's position removes sealed events, and the
    digest the invoice pinned is no longer the log's digest there."""
    issued = build_log(settings)
    position = issued["position"]
    assert run_verify(settings, pins=(position,)).pins[position] == issued["digest"]
    Raw(settings).truncate_after(position - 2)
    report = run_verify(settings, pins=(position,))
    assert kinds(report) == {"removed"}
    assert min(f.position for f in report.findings) == position - 1
    assert report.pins[position] != issued["digest"]


def test_the_cli_reports_and_exits_with_the_kind_found(settings: Settings) -> None:
    """`casebook verify` prints the one-line verdict and exits 0, then 64 + changed;
    `--invoice` checks the pinned digest; `rebuild seal` is refused."""
    issued = build_log(settings)
    env = {
        **os.environ,
        "CASEBOOK_DATABASE_URL": settings.database_url,
        "CASEBOOK_POSTGRES_SCHEMA": settings.postgres_schema,
        "CASEBOOK_LOG_LEVEL": "warning",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CASEBOOK, *args], env=env, capture_output=True, text=True, check=False, timeout=120
        )

    ok = run("verify", "--invoice", issued["invoice_id"])
    assert ok.returncode == 0, ok.stderr
    assert (
        "verified" in ok.stdout and f"digest at position {issued['position']} matches" in ok.stdout
    )
    refused = run("rebuild", "seal")
    assert refused.returncode == 1 and "the seal cannot be rebuilt" in refused.stderr
    Raw(settings).change_byte(3)
    bad = run("verify", "--invoice", issued["invoice_id"])
    assert bad.returncode == TAMPERED_BASE + EXIT_BITS["changed"] + EXIT_BITS["digest_mismatch"], (
        bad.stdout + bad.stderr
    )
    assert "NOT verified: 1 changed, 1 digest mismatch" in bad.stdout


def walk(settings: Settings, pins: tuple[int, ...] = ()) -> Report:
    """The full walk alone (what verify did before the fast pass)."""
    app, views = open_application(settings), ProjectionDb(settings)
    try:
        return verify(stored_pairs(settings, app, views), pins=pins)
    finally:
        views.close()
        app.close()


def test_the_fast_pass_reports_an_intact_log_as_the_walk_does(postgres_settings: Settings) -> None:
    """On an intact log with an unsealed tail, the fast pass gives the walk's report:
    events, digest, sealed position, unsealed count and every pinned digest."""
    issued = build_log(postgres_settings)
    Raw(postgres_settings).unseal_after(issued["position"] + 2)
    head = walk(postgres_settings).position
    pins = (0, 1, issued["position"], issued["position"] + 3, head, head + 10)
    expected = walk(postgres_settings, pins)
    assert expected.findings == [] and expected.unsealed == head - issued["position"] - 2
    fast = fast_pass(postgres_settings, pins, None)
    assert fast == expected


@pytest.mark.parametrize("case", [*TAMPERING, "seal prev in capitals", "change the last"])
def test_the_fast_pass_gives_way_to_the_walk_at_any_difference(
    postgres_settings: Settings, case: str
) -> None:
    """Any tampering, early or at the log's end, makes the fast pass stop (None), and
    verify reports what the walk alone finds."""
    build_log(postgres_settings)
    raw = Raw(postgres_settings)
    head = walk(postgres_settings).position
    if case == "seal prev in capitals":
        raw.seal_prev_in_capitals(head)  # the hash is intact, only the text differs
    elif case == "change the last":
        raw.change_byte(head)
    else:
        TAMPERING[case][0](raw)
    assert fast_pass(postgres_settings, (), None) is None
    expected = walk(postgres_settings)
    assert expected.findings and run_verify(postgres_settings) == expected
    if case == "seal prev in capitals":
        assert kinds(expected) == {"seal_broken"}
