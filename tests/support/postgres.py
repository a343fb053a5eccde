"""A PostgreSQL server of a test's own, made with `initdb` and run with `pg_ctl`: to use
when none answers, and to stop and start under a running service (never the machine's
own server); and a streaming replica of one, made with `pg_basebackup -R`."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import psycopg

from tests.support.running import free_port


def answers(url: str) -> bool:
    """Whether a PostgreSQL server takes a connection and a query on this URL."""
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


def as_postgres_user(cmd: list[str]) -> list[str]:
    """The command, run as the postgres user when we are root (initdb and postgres
    refuse to run as root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class ThrowawayPostgres:
    """A cluster in `directory` on a free loopback port, trust authentication; with
    `replication`, one a streaming replica can be made of (`StreamingReplica`)."""

    def __init__(self, directory: Path, *, replication: bool = False) -> None:
        initdb = _tool("initdb")
        self._prepare(directory)
        subprocess.run(
            as_postgres_user([initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust"]),
            check=True,
            capture_output=True,
        )
        if replication:
            # Said outright, not left to the defaults: WAL a standby can replay, senders
            # for it, and the replication connection allowed from loopback.
            with (self.data / "postgresql.conf").open("a") as conf:
                conf.write("wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n")
            with (self.data / "pg_hba.conf").open("a") as hba:
                hba.write("host replication postgres 127.0.0.1/32 trust\n")

    def _prepare(self, directory: Path) -> None:
        self.directory, self._pg_ctl = directory, _tool("pg_ctl")
        self.data = directory / "pgdata"
        self.data.mkdir(parents=True, mode=0o700)
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres")
            shutil.chown(self.data, "postgres")
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self, timeout: float = 30) -> None:
        """Start the server and wait until it takes queries."""
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
        log = str(self.directory / "pg.log")
        command = [self._pg_ctl, "-D", str(self.data), "-w", "-l", log, "-o", options, "start"]
        subprocess.run(as_postgres_user(command), check=True, capture_output=True)
        deadline = time.monotonic() + timeout
        while not answers(self.url):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the throwaway PostgreSQL did not start; see {log}")
            time.sleep(0.2)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: every connection is ended; `immediate`: as a crash)."""
        command = [self._pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop"]
        subprocess.run(as_postgres_user(command), check=False, capture_output=True)

    def remove(self) -> None:
        """Stop the server and delete its files."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


class StreamingReplica(ThrowawayPostgres):
    """A hot standby of `primary` (made with `replication`) in `directory`, on a free
    loopback port of its own: a base backup taken with `pg_basebackup -R`, so it follows
    the primary's WAL by streaming replication as soon as it starts."""

    def __init__(self, primary: ThrowawayPostgres, directory: Path) -> None:
        self._prepare(directory)
        backup = [
            _tool("pg_basebackup"),
            *("-D", str(self.data), "-h", "127.0.0.1", "-p", str(primary.port)),
            *("-U", "postgres", "-X", "stream", "-R", "--checkpoint=fast"),
        ]
        subprocess.run(as_postgres_user(backup), check=True, capture_output=True)

    def pause_replay(self, timeout: float = 30) -> None:
        """Stop applying the primary's WAL (it is still received): the replica's data
        stays as it is until `resume_replay`. Returns once replay has stopped (a pause
        is first only requested)."""
        self._execute("SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + timeout
        while self._fetch("SELECT pg_get_wal_replay_pause_state()") != "paused":
            if time.monotonic() > deadline:
                raise RuntimeError("the replica's replay did not pause")
            time.sleep(0.05)

    def resume_replay(self) -> None:
        """Apply the primary's WAL again, from where the pause left off."""
        self._execute("SELECT pg_wal_replay_resume()")

    def _execute(self, statement: str) -> None:
        self._fetch(statement)

    def _fetch(self, statement: str) -> object:
        """The first column of the statement's first row."""
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            row = conn.execute(statement).fetchone()
        return row[0] if row else None


def _tool(name: str) -> str:
    """A PostgreSQL program: beside `initdb` (one version's own), else on PATH."""
    initdb = shutil.which("initdb")
    beside = Path(initdb).resolve().parent / name if initdb else None
    found = str(beside) if beside is not None and beside.exists() else shutil.which(name)
    if not found:
        raise RuntimeError(
            "no PostgreSQL answers at CASEBOOK_TEST_DATABASE_URL or 127.0.0.1:5432 (or a "
            f"test needs a server of its own), and {name} is not on PATH: install PostgreSQL"
        )
    return found
