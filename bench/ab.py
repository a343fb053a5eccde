"""Read latency of two revisions of the code, side by side, on one kept log: the way to
tell a change from the machine's noise (on 2 shared cores a single run's p99 moves by
half from one minute to the next, and a whole run's p50 by a tenth).

Run: `.venv/bin/python -m bench.ab --schema NAME BASE [CHANGED]` on a schema that
`bench.read --keep` left (CHANGED defaults to the working tree). Each revision is
checked out in a temporary worktree; each round starts `casebook serve` from each (its
code first on the path) and measures, on both at once, request by request in turn, the
floor (`GET /healthz`), the overview and a 50-entry timeline page of the 10,000-event
company: p50, p99 and each API process's CPU per request. So both see the machine as
it is at the same moment. It prints every round and the medians, and CHANGED's median
over BASE's. Both revisions run with this venv's packages and read the schema's read
models as they are: a revision whose dependencies or read models differ needs its own
venv or log.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console

from bench.http import _cpu_seconds, _free_port, _serve
from bench.read import BIG, DEFAULT_URL, READER, _quantiles
from bench.setup import BENCH_ENV, bench_token

console = Console()
ROOT = Path(__file__).resolve().parents[1]  # the repository, and the working tree
PATHS = {
    "floor": "/healthz",
    "overview": f"/companies/{BIG}",
    "timeline": f"/companies/{BIG}/timeline?limit=50",
}
Figures = dict[str, tuple[float, float, float]]
"""Per path: p50 ms, p99 ms, API CPU ms per request."""


def _worktree(stack: ExitStack, revision: str) -> Path:
    """The revision checked out in a temporary worktree (removed at the end)."""
    place = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="casebook-ab-")))
    git = ["git", "-C", str(ROOT), "worktree"]
    subprocess.run([*git, "add", "--detach", "--quiet", str(place), revision], check=True)
    stack.callback(subprocess.run, [*git, "remove", "--force", str(place)], check=False)
    return place


def _check_code(env: dict[str, str], code: Path) -> None:
    """Refuse to measure unless a server started so imports casebook from `code`."""
    found = subprocess.run(
        [sys.executable, "-c", "import services; print(services.__file__)"],
        env={**env, "PYTHONPATH": str(code)},
        cwd=code,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not Path(found).resolve().is_relative_to(code.resolve()):
        raise RuntimeError(f"a server meant to run {code} would import {found}")


def _round(codes: dict[str, Path], env: dict[str, str], requests: int) -> dict[str, Figures]:
    """A server from each revision's code, every path measured on all of them at once:
    one request to each in turn."""
    servers, clients = {}, {}
    figures: dict[str, Figures] = {which: {} for which in codes}
    with ExitStack() as stack:
        for which, code in codes.items():
            port = _free_port()
            server = _serve(
                [sys.executable, "-m", "services.cli", "serve", "--port", str(port)],
                {**env, "PYTHONPATH": str(code)},
                port,
                cwd=code,
            )
            stack.callback(server.wait, 30)
            stack.callback(server.terminate)
            servers[which] = server
            clients[which] = stack.enter_context(
                httpx.Client(
                    base_url=f"http://127.0.0.1:{port}",
                    timeout=60,
                    headers={"Authorization": f"Bearer {bench_token(READER)}"},
                )
            )
        for name, path in PATHS.items():
            for client in clients.values():
                for _ in range(10):  # warm up
                    client.get(path).raise_for_status()
            samples: dict[str, list[float]] = {which: [] for which in codes}
            cpu = {which: _cpu_seconds(server.pid) for which, server in servers.items()}
            pairs = list(clients.items())
            for n in range(requests):
                for which, client in pairs if n % 2 else pairs[::-1]:  # each first by turns
                    started = time.perf_counter()
                    client.get(path).raise_for_status()
                    samples[which].append(time.perf_counter() - started)
            for which, server in servers.items():
                p50, p99 = _quantiles(samples[which])
                used = (_cpu_seconds(server.pid) - cpu[which]) / requests
                figures[which][name] = (p50, p99, used * 1000)
    return figures


def main(
    base: Annotated[str, typer.Argument(help="The revision to compare against.")],
    changed: Annotated[
        str | None, typer.Argument(help=("The revision to measure; default: the working tree."))
    ] = None,
    schema: Annotated[str, typer.Option(help="A schema `bench.read --keep` left.")] = "",
    url: Annotated[str, typer.Option(envvar="CASEBOOK_BENCH_DATABASE_URL")] = DEFAULT_URL,
    rounds: Annotated[int, typer.Option(min=1, help="Rounds of both revisions.")] = 5,
    requests: Annotated[int, typer.Option(min=10, help="Requests per path and round.")] = 1000,
) -> None:
    """Measure both revisions side by side and print the medians and their ratio."""
    if not schema:
        raise typer.BadParameter(
            "name the schema a `bench.read --keep` run left", param_hint="--schema"
        )
    env = {
        **os.environ,
        **BENCH_ENV,
        "CASEBOOK_DATABASE_URL": url,
        "CASEBOOK_POSTGRES_SCHEMA": schema,
        "CASEBOOK_LOG_LEVEL": "warning",
    }
    seen: dict[str, list[Figures]] = defaultdict(list)
    with ExitStack() as stack:
        codes = {
            "base": _worktree(stack, base),
            "changed": _worktree(stack, changed) if changed else ROOT,
        }
        for code in codes.values():
            _check_code(env, code)
        for number in range(1, rounds + 1):
            for which, figures in _round(codes, env, requests).items():
                seen[which].append(figures)
                console.print(
                    f"round {number} {which:7}: "
                    + " | ".join(
                        f"{name} {p50:.2f} / {p99:.2f} ms, CPU {cpu:.2f} ms"
                        for name, (p50, p99, cpu) in figures.items()
                    )
                )
    for name in PATHS:
        medians = {
            which: [statistics.median(f[name][i] for f in runs) for i in range(3)]
            for which, runs in seen.items()
        }
        b, c = medians["base"], medians["changed"]
        console.print(
            f"{name}: median p50 {b[0]:.2f} -> {c[0]:.2f} ms ({c[0] / b[0]:.2f}x), "
            f"p99 {b[1]:.2f} -> {c[1]:.2f} ms ({c[1] / b[1]:.2f}x), "
            f"CPU {b[2]:.2f} -> {c[2]:.2f} ms ({c[2] / b[2]:.2f}x)"
        )


if __name__ == "__main__":
    typer.run(main)
