"""Schemathesis hooks for fuzzing casebook (loaded by `schemathesis run` through
SCHEMATHESIS_HOOKS=bench.fuzz_hooks; bench/fuzz.py sets it up).

- The formats the document names but JSON Schema cannot express: a CVR passing the
  modulus-11 check, a CPR number starting with a real day.
- Each request carries the token of a role its operation allows, in turn (the roles and
  their tokens come from the file named by CASEBOOK_FUZZ_TOKENS).
- Every call is written, one JSON line each, to the file named by CASEBOOK_FUZZ_CALLS:
  operation, phase, generation mode and status, for the per-operation figures.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import strategies as st

from services.cli.demo_data import valid_cvr


def _cpr(rng: random.Random) -> str:
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 70))
    return f"{born:%d%m%y}-{rng.randrange(10_000):04d}"


schemathesis.openapi.format("cvr", st.randoms(use_true_random=False).map(valid_cvr))
schemathesis.openapi.format("cpr", st.randoms(use_true_random=False).map(_cpr))

_setup: dict[str, Any] = json.loads(Path(os.environ["CASEBOOK_FUZZ_TOKENS"]).read_text())
_turns: dict[str, Iterator[str]] = {
    label: itertools.cycle(roles or [""]) for label, roles in _setup["roles"].items()
}
_calls = Path(os.environ["CASEBOOK_FUZZ_CALLS"]).open("a", buffering=1)  # noqa: SIM115


def _label(case: Any) -> str:
    return f"{case.operation.method.upper()} {case.operation.path}"


@schemathesis.auth(refresh_interval=None, retry_on=[])
class RoleTokens:
    """The token of the next role the operation allows, in turn (none for public ones);
    as an auth provider, so the checks that leave out or spoil the token still can."""

    def get(self, case: Any, context: Any) -> str:
        role = next(_turns.get(_label(case), iter([""])))
        return str(_setup["tokens"][role]) if role else ""

    def set(self, case: Any, data: str, context: Any) -> None:
        if data:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
            _as_the_token(case, data)
        _one_request_per_key(case)


_keys: set[str] = set()


def _one_request_per_key(case: Any) -> None:
    """An Idempotency-Key already sent is replaced by a fresh one: generated keys repeat
    ('', '0'...) across different requests, which the API refuses (422, as it should)."""
    headers = case.headers or {}
    for name in [n for n in headers if n.lower() == "idempotency-key"]:
        # Only a valid key (at most 200 characters): a negative case stays negative.
        if headers[name] in _keys and len(headers[name]) <= 200:
            headers[name] = uuid.uuid4().hex
        _keys.add(headers[name])


def _as_the_token(case: Any, token: str) -> None:
    """A generated `by` that is a UUID becomes the token's own id: the one rule of `by`
    no schema can say (another is a 403). Anything else (null, a wrong type) stays."""
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("by"), str):
        try:
            uuid.UUID(body["by"])
        except ValueError:
            return
        case.body = {**body, "by": _setup["actors"][token]}


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    """Record the call: operation, phase, mode (positive or negative) and status (not the
    other methods a check sends to the same path)."""
    sent = getattr(getattr(response, "request", None), "method", None)
    if sent is not None and sent.upper() != case.operation.method.upper():
        return
    meta = case.meta
    _calls.write(
        json.dumps(
            {
                "operation": _label(case),
                "phase": meta.phase.name.value if meta is not None else "",
                "mode": _mode(meta),
                "status": response.status_code,
                "content_type": response.headers.get("content-type", [""])[0],
                "title": _title(response) if response.status_code >= 400 else "",
                "detail": _detail(response) if response.status_code == 409 else "",
            }
        )
        + "\n"
    )


# Refusals that rest on the recorded history or on the token, which no schema can
# express: a `by` that is not the token's own (403), an id that names nothing (404), a
# broken rule (409: a closed opening, a second registration of a CVR), a stale If-Match
# (412), and the domain's 422s ("Invalid value": a date ahead of today or before a
# placement's start; "Idempotency-Key reused" with another request). A 422 of the
# request's validation ("Invalid request") still fails: the document allowed what the
# API's own schema refuses.
_STATE = frozenset({401, 403, 404, 409, 412})
_VALIDATION = "Invalid request"
# Negative data refused for its size (413 body, 431 headers) is refused all the same.
_TOO_LARGE = frozenset({413, 431})


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep a failure unless it is a refusal the document cannot foresee (above)."""
    status = response.status_code
    if failure.code == "ST202":  # schema-valid request rejected
        if status in _STATE:
            return False
        return not (status == 422 and _title(response) != _VALIDATION)
    if failure.code == "ST201":  # schema-violating request accepted
        return not (status in _TOO_LARGE and _title(response))
    return True


def _mode(meta: Any) -> str:
    """positive or negative: the data of every part, not the case's label (a case made
    negative by an unexpected header alone holds positive data the API rightly takes)."""
    if meta is None:
        return ""
    parts = [c.mode.value for c in meta.components.values()]
    return (
        "negative"
        if "negative" in parts or (not parts and meta.generation.mode.value == "negative")
        else "positive"
    )


def _title(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("title", "")) if isinstance(body, dict) else ""


def _detail(response: Any) -> str:
    try:
        return str(response.json().get("detail", ""))[:90]
    except (ValueError, AttributeError):
        return ""
