"""The real service for a test: `casebook serve` and `casebook project` as processes on
a PostgreSQL schema, and a way to load data into it as the demo does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from infra.settings import Settings
from services.bootstrap import migrate
from services.http.auth import Role, mint_token
from tests.support.tokens import acting_token

CASEBOOK = [sys.executable, "-m", "services.cli"]


@dataclass
class Service:
    """The running service: its address, its processes' PostgreSQL `application_name`
    (every connection they open carries it), its processes by command (to kill and start
    again), and a way to load data as the demo does."""

    settings: Settings
    url: str
    application_name: str = ""
    logs: dict[str, Path] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def pids(self) -> dict[str, int]:
        """The process id of each running command."""
        return {command: proc.pid for command, proc in self.procs.items()}

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = self.send("POST", path, body)
        assert r.status_code < 300, r.text
        answer: dict[str, Any] = r.json()
        return answer

    def send(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        timeout: float = 30,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """A request signed as the body's staff member (tests/support/tokens.py)."""
        token = acting_token(self.settings, method, path, body)
        return httpx.request(
            method,
            self.url + path,
            json=body,
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}", **(headers or {})},
        )

    def consultant_with_company(self, cvr: str) -> str:
        """A consultant of municipality 165 and a company of theirs: the consultant's id."""
        staff: str = self.post(
            "/staff", {"name": "Gry", "municipality": "165", "unit": "job_centre"}
        )["id"]
        self.post(
            "/companies",
            {"cvr": cvr, "name": "A ApS", "municipality": "165", "industry": "x", "by": staff},
        )
        return staff

    def candidate(self, by: str, municipality: str = "165") -> str:
        """A candidate registered by staff member `by` in the municipality; their id."""
        person = {"name": "Testperson", "cpr": "010190-1234", "by": by}
        candidate_id: str = self.post("/candidates", {"municipality": municipality, **person})["id"]
        return candidate_id

    def token(self, staff_id: str, municipality: str, role: Role = Role.CONSULTANT) -> str:
        return mint_token(self.settings, subject=staff_id, role=role, municipalities=[municipality])

    def start(self, command: str, wait: bool = True) -> None:
        """Start `casebook <command>` (its output appended to its log); for `serve`, wait
        until it answers unless told not to."""
        with self.logs[command].open("ab") as out:
            self.procs[command] = subprocess.Popen(
                [*CASEBOOK, command], env=self.env, stdout=out, stderr=out
            )
        if command == "serve" and wait:
            self.wait_serving()

    def kill(self, command: str) -> None:
        """SIGKILL `casebook <command>`, as a crash or the OOM killer would."""
        proc = self.procs.pop(command)
        proc.send_signal(signal.SIGKILL)
        proc.wait(15)

    def stop(self) -> None:
        """SIGTERM every process, then SIGKILL what has not ended in 15 s."""
        stop_all(list(self.procs.values()))
        self.procs.clear()

    def wait_serving(self) -> None:
        """Wait until `casebook serve` answers /healthz."""
        wait_healthy(self.url, self.procs["serve"], self.logs["serve"])


def answered(
    service: Service,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[httpx.Response, list[int]]:
    """The first answer that is not a 503, asked again as each 503's Retry-After says
    (every 503 must say it), at most 20 times; the statuses on the way."""
    statuses: list[int] = []
    for _ in range(20):
        # A generous bound: answered well inside the pool's 30 s wait.
        r = service.send(method, path, body, timeout=10, headers=headers)
        statuses.append(r.status_code)
        if r.status_code != 503:
            return r, statuses
        assert r.headers.get("Retry-After") == "1", (dict(r.headers), r.text)
        if path != "/readyz":  # a readiness report, the others problems
            assert r.headers["content-type"] == "application/problem+json", r.text
        time.sleep(float(r.headers["Retry-After"]))
    raise AssertionError(f"{method} {path}: still 503 after {statuses}")


def service_env(settings: Settings, port: int, application_name: str) -> dict[str, str]:
    """The environment of the service's processes."""
    assert settings.jwt_secret is not None and settings.candidate_kek is not None
    return {
        **os.environ,
        "CASEBOOK_DATABASE_URL": settings.database_url,
        "CASEBOOK_POSTGRES_SCHEMA": settings.postgres_schema,
        "CASEBOOK_LOG_LEVEL": "warning",
        "CASEBOOK_PORT": str(port),
        "CASEBOOK_HEADER_TIMEOUT_SECONDS": str(settings.header_timeout_seconds),
        "CASEBOOK_BODY_TIMEOUT_SECONDS": str(settings.body_timeout_seconds),
        "CASEBOOK_RATE_LIMIT_PER_MINUTE": str(settings.rate_limit_per_minute),
        "CASEBOOK_RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE": str(
            settings.rate_limit_unauthenticated_per_minute
        ),
        "CASEBOOK_JWT_SECRET": settings.jwt_secret.get_secret_value(),
        "CASEBOOK_CANDIDATE_KEK": settings.candidate_kek.get_secret_value(),
        "PGAPPNAME": application_name,  # libpq's: on every connection the processes open
        **(nats_env(settings) if settings.nats_url else {}),
        **(
            {"CASEBOOK_READ_DATABASE_URL": settings.read_database_url}
            if settings.read_database_url
            else {}
        ),
        **(oidc_env(settings) if settings.oidc_issuer else {}),
    }


def oidc_env(settings: Settings) -> dict[str, str]:
    """The settings' identity provider, for the web app's sign-in."""
    secret = settings.oidc_client_secret
    return {
        "CASEBOOK_OIDC_ISSUER": settings.oidc_issuer or "",
        "CASEBOOK_OIDC_CLIENT_ID": settings.oidc_client_id or "",
        "CASEBOOK_OIDC_CLIENT_SECRET": secret.get_secret_value() if secret else "",
        "CASEBOOK_OIDC_SCOPES": settings.oidc_scopes,
        "CASEBOOK_OIDC_STAFF_ID_CLAIM": settings.oidc_staff_id_claim,
    }


def nats_env(settings: Settings) -> dict[str, str]:
    """The settings' NATS server, stream and subjects, for the relay and the tail."""
    return {
        "CASEBOOK_NATS_URL": settings.nats_url or "",
        "CASEBOOK_NATS_STREAM": settings.nats_stream,
        "CASEBOOK_NATS_SUBJECT_PREFIX": settings.nats_subject_prefix,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def running_service(
    settings: Settings, logs: Path, commands: tuple[str, ...] = ("serve", "project")
) -> Iterator[Service]:
    """`casebook serve` (and by default `casebook project`) on this PostgreSQL schema,
    migrated; their output in `logs`/<command>.log; stopped when the block ends."""
    migrate(settings)
    port = free_port()
    name = f"casebook-test-{uuid.uuid4().hex[:8]}"
    service = Service(
        settings,
        f"http://127.0.0.1:{port}",
        name,
        {command: logs / f"{command}.log" for command in commands},
        service_env(settings, port, name),
    )
    try:
        for command in commands:  # together, as before
            service.start(command, wait=False)
        if "serve" in commands:
            service.wait_serving()
        yield service
    finally:
        service.stop()


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Until the process at `url` answers /healthz; RuntimeError with its log if it
    stops or is not up within a minute (start-up imports take seconds when busy)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError(f"{url} did not start: {log.read_text()}")
        time.sleep(0.2)


def stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each process still running, then SIGKILL any not gone within 15 s."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
