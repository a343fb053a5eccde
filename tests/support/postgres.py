"""A PostgreSQL server of a test's own, made with `initdb` and run with `pg_ctl`: to use
when none answers, and to stop and start under a running service (never the machine's
own server)."""

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
    """A cluster in `directory` on a free loopback port, trust authentication."""

    def __init__(self, directory: Path) -> None:
        initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError(
                "no PostgreSQL answers at CASEBOOK_TEST_DATABASE_URL or 127.0.0.1:5432, and "
                "initdb/pg_ctl are not on PATH to start a throwaway one: install PostgreSQL"
            )
        self.directory, self._pg_ctl = directory, pg_ctl
        self.data = directory / "pgdata"
        self.data.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(directory, "postgres")
            shutil.chown(self.data, "postgres")
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        subprocess.run(
            as_postgres_user([initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust"]),
            check=True,
            capture_output=True,
        )

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
