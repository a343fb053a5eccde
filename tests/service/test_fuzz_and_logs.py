"""Any input gets a 2xx or a 4xx problem, never a 500; one log line per request."""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from structlog.testing import capture_logs

from infra.settings import Settings
from services.api import candidates, schemas
from services.app import create_app
from tests.support.services import open_services

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=12,
)
FIELDS = [
    "by",
    "cvr",
    "name",
    "municipality",
    "channel",
    "occurred_at",
    "summary",
    "hours_per_week",
    "placement_kinds",
    "kind",
    "starts_on",
    "opening_id",
    "candidate_id",
    "staff_id",
    "unit",
    "left_on",
    "ends_on",
    "reason",
    "title",
]
BODIES = JSON | st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=8)
PATH_VALUES = st.sampled_from(
    ["13748136", "24256791", "DK13748136", "x", "0" * 40, str(uuid.UUID(int=1)), "%20", "-1"]
)


def _typed_body(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies with every field of the model, each of its declared type (bounds ignored)."""
    fields = {
        name: st.from_type(cast(type[Any], f.annotation))
        for name, f in model.model_fields.items()
        if f.annotation is not None
    }
    return st.fixed_dictionaries(fields).map(lambda body: json.loads(json.dumps(body, default=str)))


# A body nested in another (contract rules, milestones, the counterparty) is drawn the
# same way, as a plain dict: never built through its own validation, so its bounds are
# fuzzed too.
for _nested in (schemas.RulesIn, schemas.MilestoneIn, schemas.Counterparty):
    st.register_type_strategy(_nested, st.deferred(lambda model=_nested: _typed_body(model)))  # type: ignore[misc]


@functools.cache
def _command_routes() -> list[tuple[str, str, st.SearchStrategy[Any]]]:
    """(method, path template, body strategy) of every command, from the app's OpenAPI.

    Bodies are random JSON or valid against the route's own schema, so the
    fuzzing reaches the domain's rules and not only the validation layer.
    """
    services = open_services(Settings(database_url="memory://"))
    spec = create_app(services.settings, services).openapi()
    services.close()
    routes = []
    for path, ops in sorted(spec["paths"].items()):
        for method, op in ops.items():
            if method not in ("post", "put"):
                continue
            ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            name = ref.rsplit("/", 1)[1]
            model = getattr(schemas, name, None) or getattr(candidates, name)
            routes.append((method.upper(), path, BODIES | _typed_body(model)))
    return routes


@pytest.mark.filterwarnings("ignore:Ignoring unsupported")
@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_input_to_every_command_is_never_a_server_error(
    client: TestClient,
    staff: str,
    registered: str,
    data: st.DataObject,
) -> None:
    """Random JSON and path values on every command route answer 2xx or 4xx problem+json."""
    method, path, bodies = data.draw(st.sampled_from(_command_routes()))
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + data.draw(PATH_VALUES) + path[end + 1 :]
    body: Any = data.draw(bodies)
    if isinstance(body, dict) and "by" in body and data.draw(st.booleans()):
        body["by"] = staff  # a real consultant, so commands reach the company's rules
    r = client.request(
        method, path, content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert r.status_code < 500, (path, body, r.text)
    if r.status_code >= 400:
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["detail"]


def test_each_request_logs_one_line_with_its_id_and_no_body(client: TestClient) -> None:
    """The canonical log line has the request id, path and status, never body text."""
    with capture_logs() as logs:
        r = client.post(
            "/staff",
            json={"name": "Secret Name Marker", "municipality": "165", "unit": "job_centre"},
        )
    lines = [e for e in logs if e["event"] == "request_handled"]
    assert len(lines) == 1
    assert lines[0]["request_id"] == r.headers["x-request-id"]
    assert (lines[0]["path"], lines[0]["status"]) == ("/staff", 201)
    assert "Secret Name Marker" not in repr(logs)
