"""The relay on real PostgreSQL and a real NATS server: every event once, in log order."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from domain.company import Company
from domain.staff import StaffMember
from infra.settings import Settings
from services.bootstrap import build_services
from services.eventstore import CasebookApplication, open_application
from services.feed.contract import CONTRACT, UnmappedEventError
from services.feed.positions import saved_positions
from services.feed.relay import Relay
from services.read.db import ProjectionDb
from services.write.committer import GroupCommitter
from tests.conftest import NatsFor
from tests.support.relay import (
    log_contacts,
    log_ids,
    read_stream,
    stream_ids,
    varied_log,
    wait_until,
)
from tests.support.running import nats_env
from tests.support.services import acting_client


@pytest.fixture
def app(relay_settings: Settings) -> Iterator[CasebookApplication]:
    """The event store, with a varied log of a few hundred events."""
    application = open_application(relay_settings)
    staff = varied_log(application)
    committer = GroupCommitter(application)
    log_contacts(committer, staff, 300)
    committer.close()
    yield application
    application.close()


def run_relay(settings: Settings, app: CasebookApplication) -> Relay:
    """A relay in a thread, run until it has published the whole log."""
    views = ProjectionDb(settings)
    relay = Relay(app, views, settings)
    relay.start()
    head = app.last_position()
    wait_until(lambda: relay.position >= head, what="the relay to reach the head")
    relay.stop()
    views.close()
    return relay


def test_every_event_appears_once_in_log_order_with_its_position(
    relay_settings: Settings,
    app: CasebookApplication,
) -> None:
    """The stream holds each event of the log once, in order, ce-sequence = position."""
    run_relay(relay_settings, app)
    assert stream_ids(relay_settings) == log_ids(app)


def test_the_relay_saves_its_position_after_the_acknowledgement(
    relay_settings: Settings,
    app: CasebookApplication,
) -> None:
    """casebook_relay holds the stream's last position once the relay is through."""
    run_relay(relay_settings, app)
    views = ProjectionDb(relay_settings)
    saved = saved_positions(views)[relay_settings.nats_stream]
    views.close()
    assert saved[0] == app.last_position()


def test_every_message_is_a_cloudevent_with_the_designed_attributes(
    relay_settings: Settings,
    app: CasebookApplication,
) -> None:
    """Each message parses with the cloudevents SDK; subject, type, ids follow DESIGN.md."""
    run_relay(relay_settings, app)
    prefix = relay_settings.nats_subject_prefix
    types = {c.type for c in CONTRACT.values()}
    seen = set()
    for msg in read_stream(relay_settings):
        event = from_binary(HTTPMessage(msg.headers, msg.data), JSONFormat())
        attrs = event.get_attributes()
        assert attrs["specversion"] == "1.0"
        assert attrs["source"] == "/casebook"
        assert attrs["type"] in types
        assert msg.headers["Nats-Msg-Id"] == attrs["id"]
        aggregate, name = attrs["type"].split(".")[2:4]
        assert msg.subject.startswith(f"{prefix}.") and msg.subject.endswith(f".{aggregate}.{name}")
        assert attrs["sequence"] == str(int(attrs["sequence"])).zfill(20)
        assert attrs["time"] is not None and attrs["recordedtime"]
        assert attrs["subject"]
        seen.add(attrs["type"])
        if aggregate == "company":
            assert len(attrs["subject"]) == 8 and attrs["subject"].isdigit()  # the CVR
    assert (
        "dk.casebook.staff.left.v1" in seen and "dk.casebook.company.placement_started.v1" in seen
    )


def test_company_events_go_to_the_subject_of_the_companys_municipality(
    relay_settings: Settings,
    app: CasebookApplication,
) -> None:
    """A contact logged on a company of 165 goes to <prefix>.165.company.contact_logged;
    a staff member who moved to 101 and left is published under 101."""
    run_relay(relay_settings, app)
    prefix = relay_settings.nats_subject_prefix
    subjects = {m.headers["ce-type"]: m.subject for m in read_stream(relay_settings)}
    assert (
        subjects["dk.casebook.company.contact_logged.v1"] == f"{prefix}.165.company.contact_logged"
    )
    assert subjects["dk.casebook.staff.left.v1"] == f"{prefix}.101.staff.left"


def test_no_message_joins_a_candidate_id_to_personal_data(
    relay_settings: Settings,
    app: CasebookApplication,
) -> None:
    """Messages that carry a candidate id carry only ids, kinds, dates and yes/no facts;
    no message carries a person's name."""
    run_relay(relay_settings, app)
    allowed = {
        "referral_id",
        "opening_id",
        "candidate_id",
        "health_clarified",
        "health_clarified_on",
        "motivation_clarified",
        "motivation_clarified_on",
        "by",
        "placement_id",
        "kind",
        "hours_per_week",
        "starts_on",
    }
    with_candidates = 0
    for msg in read_stream(relay_settings):
        body = json.loads(msg.data)
        assert "name" not in body or msg.headers["ce-type"].startswith("dk.casebook.company."), (
            body
        )  # staff names are never published
        assert "Mads Flytter" not in msg.data.decode()
        if "candidate_id" in body:
            with_candidates += 1
            assert set(body) <= allowed, body
    assert with_candidates == 2


def test_an_unmapped_event_stops_the_relay_loudly_before_it(
    relay_settings: Settings,
    app: CasebookApplication,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a mapping for ContactLogged the relay stops at the first one, shows the
    error, and has published exactly the events before it: nothing is skipped."""
    contract: dict[Any, Any] = CONTRACT
    monkeypatch.delitem(contract, Company.ContactLogged)
    views = ProjectionDb(relay_settings)
    relay = Relay(app, views, relay_settings)
    relay.start()
    wait_until(lambda: relay.fatal is not None, what="the relay to stop")
    relay.stop()
    views.close()
    assert isinstance(relay.fatal, UnmappedEventError)
    assert relay.status().error == "UnmappedEventError"
    first = next(
        n.id
        for n in app.recorder.select_notifications(start=1, limit=10**6)
        if n.topic == "casebook:Company.ContactLogged"
    )
    assert stream_ids(relay_settings) == [e for e in log_ids(app) if e[0] < first]


def test_tail_prints_one_line_per_event_and_resumes_its_durable_consumer(
    relay_settings: Settings,
    app: CasebookApplication,
) -> None:
    """`casebook tail --limit` prints events in order; a second run continues after them;
    --from-position starts at that position; --json prints CloudEvents JSON."""
    run_relay(relay_settings, app)
    env = {
        **os.environ,
        "CASEBOOK_DATABASE_URL": relay_settings.database_url,
        **nats_env(relay_settings),
    }
    tail = [sys.executable, "-m", "services.cli", "tail", "--limit", "3"]
    positions = [p for p, _ in log_ids(app)]

    def run(*args: str) -> list[str]:
        done = subprocess.run(
            [*tail, *args], check=False, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    first, second = run(), run()
    assert [int(line.split()[0]) for line in first + second] == positions[:6]
    assert first[0].split()[2] == "staff.joined.v1"
    [line] = run(
        "--from-position", str(positions[10]), "--limit", "1", "--json", "--durable", "other"
    )
    assert int(json.loads(line)["sequence"]) == positions[10]
    company = f"{relay_settings.nats_subject_prefix}.165.company.>"
    lines = run("--subject", company, "--durable", "companies")
    assert all(" company." in line for line in lines)


def test_tail_without_nats_url_fails_in_one_line() -> None:
    """No CASEBOOK_NATS_URL: exit 1 and one line that says what to set."""
    env = {k: v for k, v in os.environ.items() if k != "CASEBOOK_NATS_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "tail"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "casebook: error: CASEBOOK_NATS_URL is not set: name the NATS server to read from"
    )


def test_readyz_and_metrics_of_an_api_process_show_the_relays_position_and_lag(
    relay_settings: Settings,
    app: CasebookApplication,
) -> None:
    """An API process without a relay reads the relay's saved position: lag 0 when
    through, and the lag grows with events written after it stopped."""
    run_relay(relay_settings, app)
    services = build_services(relay_settings, run_projections=False)
    client = acting_client(services)
    try:
        relay = client.get("/readyz").json()["relay"]
        assert relay["stream"] == relay_settings.nats_stream
        assert (relay["position"], relay["lag"]) == (app.last_position(), 0)
        committer = GroupCommitter(app)
        log_contacts(committer, varied_staff(app), 5)
        committer.close()
        assert client.get("/readyz").json()["relay"]["lag"] == 5
        metrics = client.get("/metrics").text
        assert f'casebook_relay_lag{{stream="{relay_settings.nats_stream}"}} 5.0' in metrics
    finally:
        services.close()


def varied_staff(app: CasebookApplication) -> Any:
    """The id of the consultant who joined first (the writer of the varied log)."""
    for n in app.recorder.select_notifications(start=1, limit=10):
        event = app.mapper.to_domain_event(n)
        if isinstance(event, StaffMember.Joined):
            return event.originator_id
    raise AssertionError("no staff member in the log")


def test_the_embedded_api_process_relays_when_a_nats_url_is_set(
    sqlite_settings: Settings,
    nats_for: NatsFor,
) -> None:
    """On SQLite with CASEBOOK_NATS_URL set, the API process relays its commands itself."""
    settings = nats_for(sqlite_settings)
    services = build_services(settings)
    client = acting_client(services)
    try:
        assert services.relay is not None
        staff = client.post(
            "/staff", json={"name": "Gry Lyngbakke", "municipality": "165", "unit": "job_centre"}
        ).json()["id"]
        r = client.post(
            "/companies",
            json={"cvr": "13748136", "name": "Glans ApS", "municipality": "165", "by": staff},
        )
        assert r.status_code == 201, r.text
        relay = services.relay
        wait_until(lambda: relay.position >= r.json()["position"], what="the relay")
        assert stream_ids(settings) == log_ids(services.app)
        assert [m.subject for m in read_stream(settings)][
            -1
        ] == f"{settings.nats_subject_prefix}.165.company.registered"
    finally:
        services.close()


def test_without_a_nats_url_the_embedded_api_runs_no_relay(sqlite_settings: Settings) -> None:
    """No CASEBOOK_NATS_URL: no relay, and /readyz has no relay section."""
    services = build_services(sqlite_settings)
    try:
        assert services.relay is None
        client = acting_client(services)
        assert client.get("/readyz").json()["relay"] is None
    finally:
        services.close()
