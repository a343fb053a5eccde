"""The real service for a test: `casebook serve` and `casebook project` as processes on
a PostgreSQL schema, and a way to load data into it as the demo does."""

from __future__ import annotations

import os
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
    (every connection they open carries it), and a way to load data as the demo does."""

    settings: Settings
    url: str
    application_name: str = ""
    logs: dict[str, Path] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)  # command -> process id

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = self.send("POST", path, body)
        assert r.status_code < 300, r.text
        answer: dict[str, Any] = r.json()
        return answer

    def send(
        self, method: str, path: str, body: dict[str, Any] | None = None, timeout: float = 30
    ) -> httpx.Response:
        """A request signed as the body's staff member (tests/support/tokens.py)."""
        token = acting_token(self.settings, method, path, body)
        return httpx.request(
            method,
            self.url + path,
            json=body,
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}"},
        )

    def token(self, staff_id: str, municipality: str, role: Role = Role.CONSULTANT) -> str:
        return mint_token(self.settings, subject=staff_id, role=role, municipalities=[municipality])


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
        "CASEBOOK_JWT_SECRET": settings.jwt_secret.get_secret_value(),
        "CASEBOOK_CANDIDATE_KEK": settings.candidate_kek.get_secret_value(),
        "PGAPPNAME": application_name,  # libpq's: on every connection the processes open
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
    env = service_env(settings, port, name)
    paths = {command: logs / f"{command}.log" for command in commands}
    files = [path.open("wb") for path in paths.values()]
    procs = [
        subprocess.Popen([*CASEBOOK, command], env=env, stdout=out, stderr=out)
        for command, out in zip(commands, files, strict=True)
    ]
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or procs[0].poll() is not None:
                raise RuntimeError(f"casebook serve did not start: {paths['serve'].read_text()}")
            time.sleep(0.2)
        pids = {command: proc.pid for command, proc in zip(commands, procs, strict=True)}
        yield Service(settings, url, name, paths, pids)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        for out in files:
            out.close()
