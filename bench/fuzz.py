"""Fuzzing: schemathesis generates requests from casebook's own OpenAPI document and
sends them to a real `casebook serve` (with `casebook project`) on PostgreSQL, signed
with a consultant's, a team lead's, an auditor's, an admin's (and, for the log and the
metrics, a service's) token.

Phases examples, coverage, fuzzing and stateful (which follows the document's links);
positive and negative data; every check (no 5xx, responses as documented, negative data
refused). Prints per operation the cases, the share of generated positive data that was
accepted (2xx), the 5xx and the schema violations.

    .venv/bin/python -m bench.fuzz --cases 200
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.fuzz_seed import config_text, seed
from bench.setup import BENCH_ENV
from infra.settings import Settings
from services.app import create_app
from services.bootstrap import migrate
from services.http.access import Scope, api_routes
from services.http.auth import TokenVerifier
from services.http.problems import PROBLEM_JSON

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
PHASES = "examples,coverage,fuzzing,stateful"
SCHEMA_CHECK = "response_schema_conformance"


@dataclass
class Figures:
    """One operation's calls."""

    cases: int = 0
    positive: int = 0
    accepted: int = 0
    succeeded: int = 0  # any 2xx, positive data or not
    server_errors: int = 0
    schema_violations: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # positive data: status, title

    @property
    def accepted_share(self) -> float | None:
        """The share of generated positive data answered 2xx (None: none generated)."""
        return self.accepted / self.positive if self.positive else None


@dataclass
class Fuzzing:
    """What one run found: per operation, and schemathesis's own verdict."""

    exit_code: int
    output: str
    operations: dict[str, Figures] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)
    phases: Counter[str] = field(default_factory=Counter)
    modes: Counter[str] = field(default_factory=Counter)
    not_problem_json: list[str] = field(default_factory=list)  # refusals of another type

    @property
    def cases(self) -> int:
        """Every request sent."""
        return sum(f.cases for f in self.operations.values())


def roles_by_operation(settings: Settings) -> dict[str, list[str]]:
    """For each operation, the roles its access rule allows (none: public)."""
    found: dict[str, list[str]] = {}
    for route in api_routes(create_app(settings.model_copy(update={"database_url": "memory://"}))):
        rule = route.rule
        if rule is None or not route.path.startswith("/") or route.path.startswith("/app"):
            continue
        allowed = [] if rule.scope is Scope.PUBLIC else sorted(str(r) for r in rule.roles)
        found[f"{route.method} {route.path}"] = allowed
    return found


def fuzz(url: str, settings: Settings, cases: int, work: Path, seed_value: int = 22) -> Fuzzing:
    """Seed the service at `url`, then run schemathesis over every operation with at most
    `cases` generated cases per operation and phase."""
    tokens, parameters, values, own = seed(url, settings)
    setup = work / "tokens.json"
    verifier = TokenVerifier(settings)
    actors = {token: str(verifier.verify(token).actor_id) for token in tokens.values()}
    roles = roles_by_operation(settings)
    setup.write_text(json.dumps({"tokens": tokens, "actors": actors, "roles": roles}))
    config = work / "schemathesis.toml"
    config.write_text(config_text(parameters, values, own))
    calls, report = work / "calls.jsonl", work / "report"
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "bench.fuzz_hooks",
        "CASEBOOK_FUZZ_TOKENS": str(setup),
        "CASEBOOK_FUZZ_CALLS": str(calls),
    }
    command = [
        SCHEMATHESIS, "--config-file", str(config), "--no-color", "run", f"{url}/openapi.json",
        "--phases", PHASES, "--checks", "all", "--max-examples", str(cases),
        "--seed", str(seed_value), "--workers", "1", "--request-timeout", "30",
        "--suppress-health-check", "all", "--generation-database", "none",
        "--report", "ndjson", "--report-dir", str(report), "--max-failures", "500",
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    result = Fuzzing(done.returncode, done.stdout + done.stderr)
    for line in calls.read_text().splitlines() if calls.exists() else []:
        call = json.loads(line)
        figures = result.operations.setdefault(call["operation"], Figures())
        figures.cases += 1
        figures.server_errors += call["status"] >= 500
        figures.succeeded += 200 <= call["status"] < 300
        result.phases[call["phase"]] += 1
        result.modes[call["mode"]] += 1
        refused = call["status"] >= 400 and call["operation"] != "GET /readyz"
        if refused and call["content_type"] != PROBLEM_JSON:
            result.not_problem_json.append(f"{call['operation']} {call['status']}")
        if call["mode"] == "positive":
            figures.positive += 1
            figures.accepted += 200 <= call["status"] < 300
            if not 200 <= call["status"] < 300:
                figures.refused[f"{call['status']} {call['title']} {call.get('detail', '')}"] += 1
    _failures(result, report)
    return result


def _failures(result: Fuzzing, report: Path) -> None:
    """Count schemathesis's failures by check, and the schema violations per operation."""
    for path in report.glob("*.ndjson"):
        for line in path.read_text().splitlines():
            for failure in _failures_in(json.loads(line)):
                result.failures[failure["check"]] += 1
                if failure["check"] == SCHEMA_CHECK:
                    figures = result.operations.setdefault(failure["operation"], Figures())
                    figures.schema_violations += 1


def _failures_in(event: Any) -> Iterator[dict[str, str]]:
    if isinstance(event, dict):
        check = event.get("name") if isinstance(event.get("status"), str) else None
        if check and event.get("status") == "failure":
            yield {"check": check, "operation": str(event.get("label", ""))}
        for value in event.values():
            yield from _failures_in(value)
    elif isinstance(event, list):
        for value in event:
            yield from _failures_in(value)


@contextmanager
def serving(database_url: str) -> Iterator[tuple[str, Settings]]:
    """`casebook serve` and `casebook project` on a fresh PostgreSQL schema."""
    schema = f"fuzz_{uuid.uuid4().hex[:8]}"
    settings = Settings(
        database_url=database_url,
        postgres_schema=schema,
        jwt_secret=BENCH_ENV["CASEBOOK_JWT_SECRET"],
        candidate_kek=BENCH_ENV["CASEBOOK_CANDIDATE_KEK"],
        log_level="warning",
    )
    migrate(settings)
    port = 18_000 + os.getpid() % 1000
    env = {
        **os.environ,
        **BENCH_ENV,
        "CASEBOOK_DATABASE_URL": database_url,
        "CASEBOOK_POSTGRES_SCHEMA": schema,
        "CASEBOOK_PORT": str(port),
        "CASEBOOK_LOG_LEVEL": "warning",
    }
    cli = [sys.executable, "-m", "services.cli"]
    procs = [
        subprocess.Popen([*cli, c], env=env, stdout=subprocess.DEVNULL)
        for c in ("serve", "project")
    ]
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.2)
        yield url, settings
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(15)
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def print_figures(result: Fuzzing) -> None:
    """The per-operation table and the totals."""
    print(
        f"{'operation':58} {'cases':>6} {'positive':>8} {'accepted':>8} {'5xx':>4} "
        f"{'schema':>6}  refused (positive)"
    )
    for name, f in sorted(result.operations.items()):
        share = "-" if f.accepted_share is None else f"{f.accepted_share:.0%}"
        print(
            f"{name:58} {f.cases:6} {f.positive:8} {share:>8} "
            f"{f.server_errors:4} {f.schema_violations:6}  {_most(f.refused)}"
        )
    errors = sum(f.server_errors for f in result.operations.values())
    print(f"cases: {result.cases}; 5xx: {errors}; failures by check: {dict(result.failures)}")
    print(f"by phase: {dict(result.phases)}; by mode: {dict(result.modes)}")
    print(f"refusals not problem+json: {len(result.not_problem_json)}")
    print(f"schemathesis exit code: {result.exit_code}")


def _most(refused: Counter[str]) -> str:
    return ", ".join(f"{status}: {n}" for status, n in refused.most_common(3))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=200, help="most cases per operation and phase")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "CASEBOOK_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--output", action="store_true", help="print schemathesis's own report too")
    args = parser.parse_args()
    with serving(args.database_url) as (url, settings), tempfile.TemporaryDirectory() as work:
        result = fuzz(url, settings, args.cases, Path(work), args.seed)
    if args.output:
        print(result.output)
    print_figures(result)


if __name__ == "__main__":
    main()
