"""Text the stores cannot hold is refused at the edge, field by field; what an earlier
release let into the log stops no read model, and reads the same after a rebuild."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.api.schemas import LogContact, unstorable
from services.http.container import Services
from services.read.db import prefix_of
from services.read.rebuild import rebuild_all
from services.write import companies
from tests.support.api import CVR, assert_problem, contact, post

pytestmark = pytest.mark.stores  # rerun on SQLite and PostgreSQL by `make integration`

NOW = datetime.now(UTC).replace(microsecond=0)


def _contact_errors(r: Any) -> list[str]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    return [e["field"] for e in r.json()["errors"]]


def test_a_nul_character_in_a_summary_is_refused_with_the_field_named(
    client: TestClient, staff: str, registered: str
) -> None:
    """422, naming the summary: PostgreSQL cannot hold NUL in text."""
    r = client.post(f"/companies/{registered}/contacts", json=contact(staff, summary="a\x00b"))
    assert "summary" in _contact_errors(r)
    assert "NUL" in r.text


def test_a_nul_character_in_a_list_item_is_refused(
    client: TestClient, staff: str, registered: str
) -> None:
    """A topic with a NUL is refused too, under the topics field."""
    r = client.post(f"/companies/{registered}/contacts", json=contact(staff, topics=["ok\x00"]))
    assert [f for f in _contact_errors(r) if f.startswith("topics")]


def test_a_lone_surrogate_is_refused(client: TestClient, staff: str, registered: str) -> None:
    """JSON may escape a surrogate half alone; it is no text a store can hold (the JSON
    parser refuses it already; the schemas' own check stands behind it for forms)."""
    body = json.dumps(contact(staff, summary="x")).replace('"x"', '"a\\ud800b"')
    r = client.post(
        f"/companies/{registered}/contacts",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert "summary" in _contact_errors(r)


def test_a_nul_character_in_the_url_is_a_400(client: TestClient, registered: str) -> None:
    """A search for a NUL is refused before it reaches a database."""
    r = client.get("/companies", params={"q": "a\x00"})
    assert_problem(r, 400, "NUL character")


def test_request_headers_over_the_limit_are_a_431(
    client: TestClient, staff: str, registered: str, services: Services
) -> None:
    """Headers larger than CASEBOOK_MAX_HEADER_BYTES are refused, and nothing is recorded."""
    before = services.app.last_position()
    big = "x" * (services.settings.max_header_bytes + 1)
    r = client.post(
        f"/companies/{registered}/contacts", json=contact(staff), headers={"X-Padding": big}
    )
    assert_problem(r, 431, f"exceed {services.settings.max_header_bytes} bytes")
    assert services.app.last_position() == before
    assert client.get("/healthz", headers={"X-Padding": "x" * 1000}).status_code == 200


def test_a_nul_an_earlier_release_logged_stops_no_read_model(
    client: TestClient, staff: str, registered: str, services: Services
) -> None:
    """An event in the log with a NUL in its text (from before the edge refused it) is
    read as U+FFFD by every read model on every store; other companies' reads go on,
    and a rebuild reads the same."""
    moment = NOW - timedelta(minutes=5)
    logged = services.committer.submit(
        companies.log_contact(
            cvr=CVR,
            by=uuid.UUID(staff),
            contact_id=uuid.uuid4(),
            channel="phone",
            occurred_at=moment,
            summary="before\x00after",
            topics=["a\x00b"],
            now=datetime.now(UTC),
        )
    )
    later = post(
        client,
        "/companies",
        {"cvr": "24256790", "name": "Ny ApS", "municipality": "165", "by": staff},
    )
    at = {"min_position": later["position"]}
    assert logged.position < later["position"]
    o = client.get(f"/companies/{registered}", params=at)
    assert o.status_code == 200, o.text
    assert o.json()["last_contact"]["summary"] == "before\ufffdafter"
    entry = client.get(f"/companies/{registered}/timeline", params={**at, "limit": 1}).json()
    assert entry["entries"][0]["data"]["summary"] == "before\ufffdafter"
    assert entry["entries"][0]["data"]["topics"] == ["a\ufffdb"]
    assert client.get("/companies/24256790", params=at).status_code == 200
    ready = client.get("/readyz").json()
    assert [v["error"] for v in ready["views"]] == [None] * len(ready["views"])
    rebuilt = rebuild_all(services.app, services.views, ["overview"], lambda _: None)
    [(summary,)] = services.views.query(
        f"SELECT summary FROM {prefix_of('overview', rebuilt[0].generation)}contacts"
    )
    assert summary == "before\ufffdafter"


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(summary=st.text(min_size=1, max_size=40), topic=st.text(min_size=1, max_size=20))
def test_any_text_is_stored_and_read_or_refused_with_a_422(
    client: TestClient, staff: str, registered: str, services: Services, summary: str, topic: str
) -> None:
    """Whatever text a client sends: 201 and the read models follow it, or 422 because
    it cannot be stored; never a 5xx, never a read model stopped."""
    r = client.post(
        f"/companies/{registered}/contacts",
        json=contact(staff, summary=summary, topics=[topic]),
    )
    try:  # the schema's own rules (lengths, blanks) besides what cannot be stored
        LogContact.model_validate(contact(staff, summary=summary, topics=[topic]))
        refused = False
    except ValidationError:
        refused = True
    assert refused or unstorable([summary, topic]) is None
    assert r.status_code == (422 if refused else 201), (summary, topic, r.text)
    if r.status_code == 201:
        o = client.get(f"/companies/{registered}", params={"min_position": r.json()["position"]})
        assert o.status_code == 200, o.text
        assert services.projections is not None
        assert all(runner.error is None for runner in services.projections.runners)
