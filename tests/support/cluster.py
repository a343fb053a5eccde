"""Several `casebook serve` processes on one PostgreSQL schema, one `casebook project`,
and Debian's HAProxy in front of them on loopback (`make haproxy` installs it)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from infra.settings import Settings
from services.bootstrap import migrate
from tests.support.running import (
    CASEBOOK,
    Service,
    free_port,
    service_env,
    stop_all,
    wait_healthy,
)

HAPROXY_CONFIG = """global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 3
    option redispatch
    retry-on conn-failure
frontend api
    bind 127.0.0.1:{port}
    default_backend casebook
backend casebook
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
{servers}
"""


@dataclass
class Cluster:
    """The API processes (each a Service of its own), the worker and the balancer."""

    balanced: Service  # requests through HAProxy
    apis: list[Service]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def kill_api(self, i: int) -> None:
        """SIGKILL API process i (it gets no chance to finish anything)."""
        self.processes[i].send_signal(signal.SIGKILL)
        self.processes[i].wait(10)


def haproxy() -> str:
    found = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin")
    if found is None:
        raise RuntimeError("no haproxy: `make haproxy` installs Debian's (apt-get install haproxy)")
    return found


def _wait_ready(url: str, worker_log: Path) -> None:
    """Until /readyz says the projection worker follows the log."""
    deadline = time.monotonic() + 60
    while httpx.get(url + "/readyz", timeout=5).status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the projection worker did not start: {worker_log.read_text()}")
        time.sleep(0.2)


@contextmanager
def running_cluster(settings: Settings, logs: Path, apis: int = 3) -> Iterator[Cluster]:
    """`apis` API processes and one projection worker on this schema, HAProxy
    round-robin in front; all stopped when the block ends."""
    migrate(settings)
    name = f"casebook-cluster-{uuid.uuid4().hex[:8]}"
    started: list[subprocess.Popen[bytes]] = []
    files = []

    def start(command: list[str], log: Path, port: int) -> subprocess.Popen[bytes]:
        out = log.open("wb")
        files.append(out)
        # Small pools: four processes share the server's connections (100 by default).
        env = {**service_env(settings, port, name), "CASEBOOK_DB_POOL_SIZE": "2"}
        started.append(subprocess.Popen(command, env=env, stdout=out, stderr=out))
        return started[-1]

    try:
        services = []
        for i in range(apis):
            port = free_port()
            log = logs / f"serve-{i}.log"
            start([*CASEBOOK, "serve"], log, port)
            services.append(Service(settings, f"http://127.0.0.1:{port}", name, {"serve": log}))
        start([*CASEBOOK, "project"], logs / "project.log", free_port())
        for service, proc in zip(services, started, strict=False):
            wait_healthy(service.url, proc, service.logs["serve"])
        port = free_port()
        servers = "\n".join(
            f"    server api{i} {s.url.removeprefix('http://')} check inter 300ms fall 1 rise 2"
            for i, s in enumerate(services)
        )
        config = logs / "haproxy.cfg"
        config.write_text(HAPROXY_CONFIG.format(port=port, servers=servers))
        balancer_log = logs / "haproxy.log"
        balancer = start([haproxy(), "-db", "-f", str(config)], balancer_log, port)
        balanced = Service(settings, f"http://127.0.0.1:{port}", name, {"haproxy": balancer_log})
        wait_healthy(balanced.url, balancer, balancer_log)
        _wait_ready(services[0].url, logs / "project.log")
        yield Cluster(balanced, services, list(started))
    finally:
        stop_all(started)
        for out in files:
            out.close()
