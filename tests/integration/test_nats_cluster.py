"""The relay on a three-node JetStream cluster: CASEBOOK_NATS_URL names every node, the
stream has three replicas, and a node killed while commands are written, then
restarted, loses nothing and duplicates nothing; a consumer keeps receiving."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.msg import Msg

from infra.jetstream import servers
from infra.settings import Settings
from services.bootstrap import build_services, migrate
from tests.conftest import NatsFor
from tests.support.api import contact
from tests.support.nats_cluster import NatsCluster, start_cluster
from tests.support.relay import log_ids, stream_ids, wait_until
from tests.support.services import acting_client


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    made = start_cluster(tmp_path / "nats")
    try:
        yield made
    finally:
        made.stop()


class Consumer(threading.Thread):
    """An ordered push consumer of the stream, from its first message, on any node."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(daemon=True)
        self.settings, self.ids = settings, list[str]()
        self.halt = threading.Event()

    def run(self) -> None:
        asyncio.run(self._consume())

    async def _consume(self) -> None:
        nc = await nats.connect(
            servers(self.settings.nats_url or ""),
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.2,
        )
        js = nc.jetstream()

        async def take(msg: Msg) -> None:
            assert msg.headers is not None
            self.ids.append(msg.headers["ce-id"])

        for _ in range(100):  # the relay makes the stream
            try:
                await js.subscribe(
                    f"{self.settings.nats_subject_prefix}.>", cb=take, ordered_consumer=True
                )
                break
            except Exception:
                await asyncio.sleep(0.2)
        while not self.halt.is_set():
            await asyncio.sleep(0.1)
        await nc.close()


def test_a_node_killed_under_r3_loses_and_duplicates_nothing(
    postgres_settings: Settings, cluster: NatsCluster, nats_for: NatsFor
) -> None:
    settings = nats_for(postgres_settings, cluster.url).model_copy(update={"nats_replicas": 3})
    migrate(settings)
    services = build_services(settings, run_projections=False, run_relay=True)
    consumer = Consumer(settings)
    try:
        client = acting_client(services)
        staff = client.post(
            "/staff", json={"name": "Gry", "municipality": "165", "unit": "job_centre"}
        ).json()["id"]
        assert (
            client.post(
                "/companies",
                json={"cvr": "13748136", "name": "Glans ApS", "municipality": "165", "by": staff},
            ).status_code
            == 201
        )
        relay = services.relay
        assert relay is not None
        wait_until(lambda: relay.position >= services.app.last_position(), what="the relay")
        consumer.start()

        def contacts(n: int, start: int) -> None:
            for i in range(start, start + n):
                body = contact(staff, summary=f"call {i}")
                r = client.post("/companies/13748136/contacts", json=body)
                assert r.status_code == 201, r.text

        contacts(20, 0)
        for node in cluster.nodes:  # each node in turn: killed, written past, restarted
            cluster.kill(node)
            contacts(20, 20 * (cluster.nodes.index(node) + 1))
            cluster.start(node)
            cluster.wait_ready()
            head = services.app.last_position()
            wait_until(lambda h=head: relay.position >= h, what=f"the relay past {node.name}")
        head = services.app.last_position()
        wait_until(lambda: len(consumer.ids) >= head, what="the consumer")
        expected = log_ids(services.app)
        assert stream_ids(settings) == expected  # no gap, no duplicate, in log order
        assert consumer.ids == [ce_id for _, ce_id in expected]
        assert _replicas(settings) == 3
    finally:
        consumer.halt.set()
        services.close()


def _replicas(settings: Settings) -> int:
    async def ask() -> int:
        nc = await nats.connect(servers(settings.nats_url or ""))
        info = await nc.jetstream().stream_info(settings.nats_stream)
        await nc.close()
        return int(info.config.num_replicas or 0)

    return asyncio.run(ask())
