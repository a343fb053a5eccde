"""The OpenAPI document as the API answers: every error each operation can give, as
problem+json; the CVR's rule on every `{cvr}`; `/readyz`'s 503; and links from each
operation that creates something to the operations that take its id."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from services.api.links import LINKS
from services.api.schemas import CVR_SCHEMA
from services.http.access import Scope, rule_of
from services.http.problems import PROBLEM_JSON
from services.http.ratelimit import EXEMPT_PATHS

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error, as RFC 9457 problem details.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What went wrong and what to fix."},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "One entry per refused field (422 only).",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

WHY: dict[int, str] = {
    400: "A NUL character in the URL, or a body that cannot be read as text.",
    401: "No token, or one that is expired, unsigned, wrongly signed or malformed.",
    403: "The token's role may not do this, or `by` is not the token's own id.",
    404: "Nothing of that id, or it belongs to a municipality the token does not cover.",
    409: "The command breaks a rule of the recorded history, lost a concurrent race, or "
    "`min_position` is beyond the log.",
    408: "The body did not arrive within CASEBOOK_BODY_TIMEOUT_SECONDS.",
    412: "`If-Match` names a version the stream is no longer at.",
    413: "The body is larger than CASEBOOK_MAX_BODY_BYTES.",
    422: "Malformed input: one entry per field under `errors`; or an `Idempotency-Key` "
    "reused for another request.",
    429: "The token's holder (or, without a valid token, the address) sent more than its "
    "rate limit a minute; retry after `Retry-After` seconds.",
    431: "Request headers larger than CASEBOOK_MAX_HEADER_BYTES.",
    503: "The event store or the projections' database is unavailable or behind; retry "
    "after `Retry-After` seconds.",
}

READINESS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "status": {"type": "string", "enum": ["ready", "degraded", "unavailable"]},
        "detail": {"type": "string"},
        "backend": {"type": "string"},
        "log_position": {"type": "integer"},
        "views": {"type": "array", "items": {"type": "object"}},
        "workers": {"type": "array", "items": {"type": "object"}},
        "problems": {"type": "array", "items": {"type": "string"}},
        "relay": {"anyOf": [{"type": "object"}, {"type": "null"}]},
    },
}


def install(app: FastAPI) -> None:
    """Serve the document below as the app's OpenAPI (built once, on first request)."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]


def build(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document of the app's routes, told the truth."""
    doc = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    ids: dict[tuple[str, str], str] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        path = context.path_format or route.path_format
        for method in context.methods or route.methods or ():
            operation = doc["paths"][path][method.lower()]
            ids[(method, path)] = operation["operationId"]
            _describe(route, method, operation)
    for (method, path), links in LINKS.items():
        created = doc["paths"][path][method.lower()]["responses"]
        success = next(code for code in created if code.startswith("2"))
        created[success]["links"] = {
            name: {"operationId": ids[target], "parameters": parameters}
            for name, (target, parameters) in links.items()
        }
    _readiness(doc["paths"]["/readyz"]["get"])
    _storable_text(doc)
    return doc


STORABLE = "^[^\\u0000]*$"
"""No NUL character: no store holds one in text (a body's is a 422, a URL's a 400)."""
_SPACE = "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NOT_BLANK = f"^[^\\u0000]*[^\\u0000{_SPACE}][^\\u0000]*$"
"""No NUL, and more than white space: a body's text is stripped before its length counts."""


def _storable_text(doc: dict[str, Any]) -> None:
    """Every free text of a request says that it holds no NUL character."""
    seen: set[int] = set()

    def walk(schema: Any, body: bool = True) -> None:
        if not isinstance(schema, dict) or id(schema) in seen:
            return
        seen.add(id(schema))
        if "$ref" in schema:
            walk(doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
        if schema.get("type") == "string" and not {"pattern", "enum", "format"} & set(schema):
            stripped = body and schema.get("minLength", 0) >= 1
            schema["pattern"] = NOT_BLANK if stripped else STORABLE
        for key in ("properties", "$defs"):
            for sub in schema.get(key, {}).values():
                walk(sub)
        for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            for sub in schema.get(key, []):
                walk(sub)
        walk(schema.get("items"))

    for ops in doc["paths"].values():
        for op in ops.values():
            for parameter in op.get("parameters", []):
                if parameter["in"] in ("query", "path"):
                    walk(parameter["schema"], body=False)
            for content in op.get("requestBody", {}).get("content", {}).values():
                walk(content["schema"])


# Reads that refuse a resource of the wrong kind with 409 (a municipality contract has no
# effect statement).
CONFLICTING_READS = frozenset({"/contracts/{contract_id}/effects"})


def statuses(route: APIRoute, method: str) -> list[int]:
    """The error statuses this operation can answer."""
    rule = rule_of(route)
    public = rule is not None and rule.scope is Scope.PUBLIC
    command = method in ("POST", "PUT")
    named = bool(route.dependant.path_params)
    params = named or bool(route.dependant.query_params)
    found = [431]
    if route.path not in EXEMPT_PATHS:
        found += [429]
    if params or command:
        found += [400, 422]
    if not public:
        found += [401, 403, 503]
    if named or command:
        found += [404]
    if command:
        found += [408, 409, 412, 413, 422]
    if any(p.name == "min_position" for p in _query_params(route)):
        found += [409, 503]
    if route.path in CONFLICTING_READS:
        found += [409]
    return sorted(set(found))


def _query_params(route: APIRoute) -> list[Any]:
    found, pending = [], [route.dependant]
    while pending:
        dependant = pending.pop()
        found += dependant.query_params
        pending += dependant.dependencies
    return found


def _describe(route: APIRoute, method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)
    for status in statuses(route, method):
        responses[str(status)] = {
            "description": WHY[status],
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        if status in (429, 503):
            responses[str(status)]["headers"] = {
                "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
            }
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path" and parameter["name"] == "cvr":
            parameter["schema"] = dict(CVR_SCHEMA)
        if parameter["in"] == "header":  # a header is a string or absent, never null
            schema = parameter["schema"]
            text = [s for s in schema.pop("anyOf", []) if s.get("type") != "null"]
            parameter["schema"] = {**(text[0] if text else {}), **schema}


def _readiness(operation: dict[str, Any]) -> None:
    ok = {"application/json": {"schema": READINESS_SCHEMA}}
    operation["responses"]["200"] = {"description": "Ready (or degraded)", "content": ok}
    operation["responses"]["503"] = {
        "description": (
            "Not ready: the event store does not answer, a projection fails, or no projection "
            "worker follows the log (`casebook project`); the body says which."
        ),
        "content": ok,
        "headers": {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        },
    }
