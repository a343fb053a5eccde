"""The relay on real PostgreSQL and a real NATS server: every event once, in log order."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_binary
from cloudevents.core.formats.json import JSONFormat

from infra.settings import Settings
from services.application import CasebookApplication, migrate, open_application
from services.committer import GroupCommitter
from services.messages import CONTRACT
from services.relay import Relay, saved_positions
from services.views import ViewDb
from tests.conftest import with_nats
from tests.integration.relay_support import (
    log_contacts,
    log_ids,
    read_stream,
    stream_ids,
    varied_log,
    wait_until,
)


@pytest.fixture
def relay_settings(postgres_settings: Settings, nats_url: str) -> Settings:
    """A PostgreSQL schema and a NATS stream of this test's own, migrated."""
    settings = with_nats(postgres_settings, nats_url)
    migrate(settings)
    return settings


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
    views = ViewDb(settings)
    relay = Relay(app, views, settings)
    relay.start()
    head = app.last_position()
    wait_until(lambda: relay.position >= head, what="the relay to reach the head")
    relay.stop()
    views.close()
    return relay


def test_every_event_appears_once_in_log_order_with_its_position(
    relay_settings: Settings, app: CasebookApplication,
) -> None:
    """The stream holds each event of the log once, in order, ce-sequence = position."""
    run_relay(relay_settings, app)
    assert stream_ids(relay_settings) == log_ids(app)


def test_the_relay_saves_its_position_after_the_acknowledgement(
    relay_settings: Settings, app: CasebookApplication,
) -> None:
    """casebook_relay holds the stream's last position once the relay is through."""
    run_relay(relay_settings, app)
    views = ViewDb(relay_settings)
    saved = saved_positions(views)[relay_settings.nats_stream]
    views.close()
    assert saved[0] == app.last_position()


def test_every_message_is_a_cloudevent_with_the_designed_attributes(
    relay_settings: Settings, app: CasebookApplication,
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
        assert msg.subject.startswith(f"{prefix}.") and msg.subject.endswith(
            f".{aggregate}.{name}")
        assert attrs["sequence"] == str(int(attrs["sequence"])).zfill(20)
        assert attrs["time"] is not None and attrs["recordedtime"]
        assert attrs["subject"]
        seen.add(attrs["type"])
        if aggregate == "company":
            assert len(attrs["subject"]) == 8 and attrs["subject"].isdigit()  # the CVR
    assert "dk.casebook.staff.left.v1" in seen and "dk.casebook.company.placement_started.v1" \
        in seen


def test_company_events_go_to_the_subject_of_the_companys_municipality(
    relay_settings: Settings, app: CasebookApplication,
) -> None:
    """A contact logged on a company of 165 goes to <prefix>.165.company.contact_logged;
    a staff member who moved to 101 and left is published under 101."""
    run_relay(relay_settings, app)
    prefix = relay_settings.nats_subject_prefix
    subjects = {m.headers["ce-type"]: m.subject for m in read_stream(relay_settings)}
    assert subjects["dk.casebook.company.contact_logged.v1"] == \
        f"{prefix}.165.company.contact_logged"
    assert subjects["dk.casebook.staff.left.v1"] == f"{prefix}.101.staff.left"


def test_no_message_joins_a_candidate_id_to_personal_data(
    relay_settings: Settings, app: CasebookApplication,
) -> None:
    """Messages that carry a candidate id carry only ids, kinds, dates and yes/no facts;
    no message carries a person's name."""
    run_relay(relay_settings, app)
    allowed = {"referral_id", "opening_id", "candidate_id", "health_clarified",
               "health_clarified_on", "motivation_clarified", "motivation_clarified_on",
               "by", "placement_id", "kind", "hours_per_week", "starts_on"}
    with_candidates = 0
    for msg in read_stream(relay_settings):
        body = json.loads(msg.data)
        assert "name" not in body or msg.headers["ce-type"].startswith(
            "dk.casebook.company."), body  # staff names are never published
        assert "Mads Flytter" not in msg.data.decode()
        if "candidate_id" in body:
            with_candidates += 1
            assert set(body) <= allowed, body
    assert with_candidates == 2
