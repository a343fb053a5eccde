"""Wiring the event store from Settings, and the migrate step that creates tables."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import psycopg
from eventsourcing.persistence import JSONTranscoder, Transcoding
from psycopg.sql import SQL, Identifier

from infra.settings import Settings

APP_NAME = "casebook"
# Any fixed number: the migrate step of every process takes this advisory lock.
MIGRATE_LOCK_ID = 4_281_913_377


def event_store_env(settings: Settings, *, create_tables: bool = False) -> dict[str, str]:
    """The eventsourcing configuration mapping for this deployment."""
    create = "y" if create_tables else "n"
    if settings.backend == "memory":
        return {"PERSISTENCE_MODULE": "infra.memory_store:MemoryStoreFactory"}
    if settings.backend == "sqlite":
        return {
            "PERSISTENCE_MODULE": "infra.stores:SQLiteStoreFactory",
            "SQLITE_DBNAME": settings.sqlite_path(),
            "SQLITE_LOCK_TIMEOUT": "10",
            "CREATE_TABLE": create,
        }
    pg = settings.postgres_parts()
    return {
        "PERSISTENCE_MODULE": "infra.stores:PostgresStoreFactory",
        "POSTGRES_DBNAME": pg["dbname"],
        "POSTGRES_HOST": pg["host"],
        "POSTGRES_PORT": pg["port"],
        "POSTGRES_USER": pg["user"],
        "POSTGRES_PASSWORD": pg["password"],
        "POSTGRES_SCHEMA": settings.postgres_schema,
        "POSTGRES_POOL_SIZE": str(settings.db_pool_size),
        # A connection from the pool, or a 503: not the 30 s default while the server is
        # down (eventsourcing reads this as a whole number of seconds).
        "POSTGRES_CONNECT_TIMEOUT": str(max(1, round(settings.db_connect_timeout_seconds))),
        "POSTGRES_MAX_OVERFLOW": "4",
        "POSTGRES_CONN_MAX_AGE": "600",
        "POSTGRES_LOCK_TIMEOUT": "10",
        "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
        "POSTGRES_PRE_PING": "y",  # a pooled connection dropped by a restart is replaced
        "CREATE_TABLE": create,
    }


class DateAsISO(Transcoding):
    """Business dates (not datetimes) as ISO strings."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def register_transcodings(transcoder: JSONTranscoder) -> None:
    """Add casebook's value types to the library's JSON transcoder."""
    transcoder.register(DateAsISO())


def notify_channel(name: str, schema: str) -> str:
    """The NOTIFY channel `name` of the casebook in `schema`. Channels are per database,
    not per schema: casebooks sharing a database (a schema each) must not hear each
    other. A channel is an identifier, at most 63 bytes: a long schema goes by its hash."""
    channel = f"{name}_{schema}"
    if len(channel.encode()) <= 63:
        return channel
    return f"{name}_{hashlib.sha256(schema.encode()).hexdigest()[:24]}"


def postgres_conninfo(settings: Settings) -> str:
    """A libpq connection string for the configured PostgreSQL database."""
    pg = settings.postgres_parts()
    return psycopg.conninfo.make_conninfo(
        host=pg["host"],
        port=pg["port"],
        user=pg["user"],
        password=pg["password"],
        dbname=pg["dbname"],
    )


def with_migrate_lock(settings: Settings, create: Any) -> None:
    """Run `create()` while holding the migrate lock, so concurrent migrations queue."""
    if settings.backend != "postgres":
        create()
        return
    with psycopg.connect(postgres_conninfo(settings), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK_ID,))
        try:
            conn.execute(
                SQL("CREATE SCHEMA IF NOT EXISTS {0}").format(Identifier(settings.postgres_schema))
            )
            create()
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK_ID,))


def postgres_is_migrated(settings: Settings) -> bool:
    """Whether `casebook migrate` has created the event table in the configured schema."""
    with psycopg.connect(postgres_conninfo(settings), connect_timeout=10) as conn:
        row = conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL",
            (f'"{settings.postgres_schema}".{APP_NAME}_events',),
        ).fetchone()
    return bool(row and row[0])
