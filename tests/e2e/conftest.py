"""End-to-end fixtures: the real service (`casebook serve` and `casebook project` on
PostgreSQL) and Debian's Chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from infra.settings import Settings
from services.bootstrap import migrate
from services.http.auth import Role, mint_token
from tests.support.tokens import acting_token

CASEBOOK = [sys.executable, "-m", "services.cli"]
CHROMIUM = os.environ.get("CASEBOOK_TEST_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Page) -> list[str]:
    """WCAG 2.1 A and AA violations axe-core finds on the page (id: where)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => v.id + ': ' + v.nodes.map("
        "n => n.target.join(' ')).join(', ')))",
        WCAG_21_AA,
    )
    return [str(v) for v in found]


def _env(settings: Settings, port: int) -> dict[str, str]:
    assert settings.jwt_secret is not None and settings.candidate_kek is not None
    return {
        **os.environ,
        "CASEBOOK_DATABASE_URL": settings.database_url,
        "CASEBOOK_POSTGRES_SCHEMA": settings.postgres_schema,
        "CASEBOOK_LOG_LEVEL": "warning",
        "CASEBOOK_PORT": str(port),
        "CASEBOOK_JWT_SECRET": settings.jwt_secret.get_secret_value(),
        "CASEBOOK_CANDIDATE_KEK": settings.candidate_kek.get_secret_value(),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Service:
    """The running service: its address, and a way to load data as the demo does."""

    settings: Settings
    url: str

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        token = acting_token(self.settings, "POST", path, body)
        r = httpx.post(
            self.url + path, json=body, timeout=30, headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code < 300, r.text
        answer: dict[str, Any] = r.json()
        return answer

    def token(self, staff_id: str, municipality: str, role: Role = Role.CONSULTANT) -> str:
        return mint_token(self.settings, subject=staff_id, role=role, municipalities=[municipality])


@pytest.fixture
def service(postgres_settings: Settings, tmp_path: Path) -> Iterator[Service]:
    """`casebook serve` and `casebook project` on a fresh PostgreSQL schema."""
    migrate(postgres_settings)
    port = _free_port()
    env = _env(postgres_settings, port)
    logs = [open(tmp_path / name, "wb") for name in ("serve.log", "project.log")]  # noqa: SIM115
    procs = [
        subprocess.Popen([*CASEBOOK, command], env=env, stdout=log, stderr=log)
        for command, log in zip(("serve", "project"), logs, strict=True)
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
                raise RuntimeError(
                    f"casebook serve did not start: {(tmp_path / 'serve.log').read_text()}"
                )
            time.sleep(0.2)
        yield Service(postgres_settings, url)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless; missing, it is an error that says how to install it.
    Module-scoped: Playwright's sync API keeps an event loop running in this thread
    while it is open, which would break later tests that call asyncio.run."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"no Chromium at {CHROMIUM}: `make test` installs Debian's "
            "chromium (apt-get install -y chromium)"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()
