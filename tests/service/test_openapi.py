"""The OpenAPI document tells the truth: it validates, documents every error as
problem+json, refuses unknown fields, names the real constraints and links each
creating operation to the operations that use its id."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from domain.values import normalise_cvr
from infra.municipalities import municipalities
from services.api.openapi import NOT_BLANK, STORABLE
from services.http.problems import PROBLEM_JSON

Doc = dict[str, Any]


@pytest.fixture
def doc(client: TestClient) -> Doc:
    """The document as the running app serves it."""
    r = client.get("/openapi.json")
    assert r.status_code == 200, r.text
    served: Doc = r.json()
    return served


def _operations(doc: Doc) -> Iterator[tuple[str, str, Doc]]:
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            yield method.upper(), path, op


def _resolve(doc: Doc, schema: Doc) -> Doc:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_the_document_validates_as_openapi_3_1(doc: Doc) -> None:
    """openapi-spec-validator finds nothing wrong with the served document."""
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_every_error_an_operation_documents_is_problem_json(doc: Doc) -> None:
    """Each 4xx and 5xx is application/problem+json with the Problem schema (but /readyz's
    503, its readiness body), and each 503 names Retry-After."""
    for method, path, op in _operations(doc):
        for status, response in op["responses"].items():
            if status < "400" or (path, status) == ("/readyz", "503"):
                continue
            content = response["content"]
            assert list(content) == [PROBLEM_JSON], (method, path, status)
            assert content[PROBLEM_JSON]["schema"] == {"$ref": "#/components/schemas/Problem"}
            if status == "503":
                assert "Retry-After" in response["headers"], (method, path)
    readyz = doc["paths"]["/readyz"]["get"]["responses"]["503"]
    assert readyz["content"]["application/json"]["schema"]["properties"]["status"]["enum"]


def test_commands_document_their_refusals(doc: Doc) -> None:
    """Every command documents 401, 403, 404, 409, 412, 413, 422 and 503."""
    for method, path, op in _operations(doc):
        if method in ("POST", "PUT"):
            assert {"401", "403", "404", "409", "412", "413", "422", "503"} <= set(
                op["responses"]
            ), (method, path)


def test_request_bodies_refuse_unknown_fields(doc: Doc) -> None:
    """Every request body, and every object inside one, says additionalProperties: false."""

    def check(schema: Doc, where: str) -> None:
        schema = _resolve(doc, schema)
        if schema.get("type") == "object":
            assert schema.get("additionalProperties") is False, where
        for sub in schema.get("properties", {}).values():
            check(sub, where)
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, []):
                check(sub, where)
        if "items" in schema:
            check(schema["items"], where)

    for method, path, op in _operations(doc):
        if "requestBody" in op:
            check(op["requestBody"]["content"]["application/json"]["schema"], f"{method} {path}")


def test_cvr_and_municipality_carry_their_rules(doc: Doc) -> None:
    """A CVR has its pattern and format everywhere; a body's municipality is one of the 98;
    free text holds no NUL character, and is not blank where it must not be empty."""
    schemas = doc["components"]["schemas"]
    cvr = schemas["RegisterCompany"]["properties"]["cvr"]
    assert cvr["format"] == "cvr" and cvr["pattern"]
    assert all(normalise_cvr(example) for example in cvr["examples"])
    for method, path, op in _operations(doc):
        for parameter in op.get("parameters", []):
            if parameter["name"] == "cvr":
                assert parameter["schema"]["format"] == "cvr", (method, path)
    for name in ("RegisterCompany", "JoinStaff", "RegisterCandidate", "AgreeContract"):
        assert schemas[name]["properties"]["municipality"]["enum"] == sorted(municipalities())
    assert schemas["RegisterOpening"]["properties"]["hours_per_week"]["maximum"] == 37
    # The stores hold no NUL in text; text that must not be empty is stripped first.
    assert schemas["RegisterCompany"]["properties"]["industry"]["pattern"] == STORABLE
    assert schemas["LogContact"]["properties"]["summary"]["pattern"] == NOT_BLANK
    assert schemas["LogContact"]["properties"]["topics"]["items"]["pattern"] == NOT_BLANK
    assert re.fullmatch(NOT_BLANK, "\u2003 \t") is None and re.fullmatch(NOT_BLANK, " a ")
    person = schemas["RegisterCandidate"]["properties"]
    assert re.search(person["email"]["anyOf"][0]["pattern"], "a\x00@b.dk") is None
    assert re.search(person["cpr"]["pattern"], "010190-123\x004") is None


def test_links_lead_from_each_creating_operation_to_those_using_its_id(doc: Doc) -> None:
    """Every link names an operation of the document and only parameters it has; every
    operation with an id in its path is reached by a link."""
    by_id = {op["operationId"]: op for _, _, op in _operations(doc)}
    reached = set()
    for method, path, op in _operations(doc):
        for response in op["responses"].values():
            for name, link in response.get("links", {}).items():
                target = by_id[link["operationId"]]
                names = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
                assert set(link["parameters"]) <= names, (method, path, name)
                reached.add(link["operationId"])
    with_ids = {
        op["operationId"]
        for _, path, op in _operations(doc)
        if "{" in path and not path.endswith("/{list_name}")
    }
    assert with_ids - reached == set()
