"""The README's quick start, run as written against a real `casebook serve --demo`."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
CASEBOOK = REPO / ".venv" / "bin" / "casebook"
DOCUMENTED = "localhost:8000"  # where the quick start expects `make run` to serve
CVR = "13748136"


@dataclass(frozen=True)
class Server:
    """A running `casebook serve` and the environment its commands need."""

    address: str
    env: dict[str, str]


@dataclass(frozen=True)
class Step:
    """One quick-start command as run: its text, exit status, output and HTTP status."""

    command: str
    returncode: int
    stdout: str
    stderr: str
    status: int | None  # of the command's curl request, if it makes one

    def json(self) -> Any:
        """The command's output as JSON."""
        return json.loads(self.stdout)


def quick_start() -> str:
    """The ```sh blocks under the README's "Quick start" heading."""
    section = re.search(
        r"^## Quick start\n(.*?)(?=^## |\Z)", README.read_text(), re.DOTALL | re.MULTILINE
    )
    assert section is not None, "README.md has no '## Quick start' section"
    blocks = re.findall(r"^```sh\n(.*?)^```", section.group(1), re.DOTALL | re.MULTILINE)
    assert blocks, "the Quick start section has no ```sh block"
    return "\n".join(blocks)


def commands(block: str) -> list[str]:
    """The block's commands: comments dropped, lines joined while a line ends in a
    backslash or a quotation is still open."""
    found: list[str] = []
    pending = ""
    for line in block.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending = f"{pending}\n{line}" if pending else line
        if pending.endswith("\\"):
            continue
        try:
            shlex.split(pending)
        except ValueError:  # a quotation is still open
            continue
        found.append(pending)
        pending = ""
    assert not pending, f"unfinished command at the end of the quick start: {pending}"
    return found


def run_all(listed: list[str], server: Server, out: Path) -> list[Step]:
    """Run the commands in order in one bash, as a reader pastes them (variables carry
    over), recording each one's exit status and output; `curl` is wrapped only to dump
    each response's headers, so the test can read the HTTP status."""
    out.mkdir()
    script = [
        "set -u -o pipefail",
        'curl() { command curl --dump-header "$STEPS/$STEP.headers" "$@"; }',
    ]
    for n, command in enumerate(listed):
        script += [
            f"STEP={n}",
            f'{{ {command}\n}} >"$STEPS/{n}.out" 2>"$STEPS/{n}.err"',
            f'echo $? >"$STEPS/{n}.rc"',
        ]
    subprocess.run(
        ["bash", "-c", "\n".join(script)],
        cwd=REPO,
        env={**server.env, "STEPS": str(out)},
        check=True,
        timeout=300,
    )
    steps = []
    for n, command in enumerate(listed):
        headers = out / f"{n}.headers"
        status = None
        if headers.exists():  # the last status line: after any interim 100 Continue
            lines = [h for h in headers.read_text().splitlines() if h.startswith("HTTP/")]
            status = int(lines[-1].split()[1])
        steps.append(
            Step(
                command,
                int((out / f"{n}.rc").read_text()),
                (out / f"{n}.out").read_text(),
                (out / f"{n}.err").read_text(),
                status,
            )
        )
    return steps


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _caught_up(address: str) -> bool:
    try:
        ready = httpx.get(f"http://{address}/readyz", timeout=5)
    except httpx.TransportError:
        return False
    if ready.status_code != 200:
        return False
    views: list[dict[str, Any]] = ready.json()["views"]
    return bool(views) and all(v["lag"] == 0 for v in views)


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[Server]:
    """`casebook serve --demo` on a SQLite file of its own and a free port, as `make run`
    starts it, once its read models have caught up with the demo data."""
    assert CASEBOOK.exists(), f"{CASEBOOK} is missing: build the virtualenv with `make`"
    missing = [tool for tool in ("bash", "curl", "jq") if shutil.which(tool) is None]
    assert not missing, f"the README's quick start needs {', '.join(missing)}: install it"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEBOOK_")}
    env |= {
        "CASEBOOK_DATABASE_URL": f"sqlite:///{tmp_path / 'casebook.db'}",
        "CASEBOOK_LOG_LEVEL": "warning",
    }
    address = f"127.0.0.1:{_free_port()}"
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        server = subprocess.Popen(
            [str(CASEBOOK), "serve", "--demo", "--port", address.rsplit(":", 1)[1]],
            cwd=REPO,
            env=env,
            stdout=sink,
            stderr=sink,
        )
    try:
        deadline = time.monotonic() + 240
        while not _caught_up(address):
            assert server.poll() is None, f"casebook serve exited: {log.read_text()}"
            assert time.monotonic() < deadline, f"not ready in 240 s: {log.read_text()}"
            time.sleep(0.2)
        yield Server(address, env)
    finally:
        server.terminate()
        server.wait(30)


def test_the_quick_start_runs_as_written(demo_server: Server, tmp_path: Path) -> None:
    """Every quick-start command exits 0, its requests succeed, and the reads show the
    company and the contact that the commands recorded."""
    listed = commands(quick_start())
    requests = [c for c in listed if "curl" in c]
    assert requests, "the quick start makes no request"
    assert all(DOCUMENTED in c for c in requests), f"every request goes to {DOCUMENTED}"
    steps = run_all(
        [c.replace(DOCUMENTED, demo_server.address) for c in listed],
        demo_server,
        tmp_path / "steps",
    )
    for step in steps:
        assert step.returncode == 0, (step.command, step.stderr)
        if step.status is not None:
            expected = 201 if "-X POST" in step.command else 200
            assert step.status == expected, (step.command, step.stdout)
    outputs = {_route(step.command): step for step in steps if step.stdout.strip()}

    registered = outputs["POST /companies"].json()
    assert (registered["cvr"], registered["version"]) == (CVR, 1)
    found = outputs["GET /companies?q=glans"].json()
    assert [hit["cvr"] for hit in found] == [CVR]
    overview = outputs[f"GET /companies/{CVR}"].json()
    assert (overview["cvr"], overview["name"]) == (CVR, "Glans ApS")
    assert overview["last_contact"]["summary"] == "Talte om to ledige stillinger på værkstedet"
    timeline = outputs[f"GET /companies/{CVR}/timeline"].json()
    assert [e["kind"] for e in timeline["entries"]] == ["contact_logged", "registered"]


def _route(command: str) -> str:
    """`METHOD /path[?q=...]` of a command's request, without the other query parameters
    (a command that makes no request is named by its own text)."""
    found = re.search(r"https?://[^/\s]+|127\.0\.0\.1:\d+", command)
    if "curl" not in command or found is None:
        return command
    path = command[found.end() :].split(maxsplit=1)[0].strip("'\"")
    base, _, query = path.partition("?")
    kept = [p for p in query.split("&") if p.startswith("q=")]
    method = "POST" if "-X POST" in command else "GET"
    return f"{method} {base}" + (f"?{'&'.join(kept)}" if kept else "")
