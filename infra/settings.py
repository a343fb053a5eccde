"""One Settings object, read from CASEBOOK_* variables at the entry point only."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything casebook can be configured with; see the README's table."""

    model_config = SettingsConfigDict(env_prefix="CASEBOOK_", extra="ignore")

    database_url: str = Field(
        "sqlite:///casebook.db",
        description="sqlite:///PATH (embedded), postgresql://... (production) or memory://",
    )
    read_database_url: str | None = Field(
        None,
        description="a PostgreSQL streaming replica of CASEBOOK_DATABASE_URL that the read "
        "routes query (the read models); unset: reads use CASEBOOK_DATABASE_URL",
    )
    postgres_schema: str = Field("public", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    db_pool_size: int = Field(8, ge=2, le=200)
    db_connect_timeout_seconds: float = Field(
        5.0,
        gt=0,
        le=120,
        description="the longest a request waits for a database connection (then 503)",
    )
    nats_url: str | None = Field(
        None, description="the NATS server, or a cluster's servers separated by commas"
    )
    nats_replicas: int = Field(
        1, ge=1, le=5, description="copies of the stream the relay creates (3 on a cluster)"
    )
    nats_stream: str = Field("CASEBOOK", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    nats_subject_prefix: str = Field("casebook", pattern=r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")
    relay_batch_size: int = Field(1000, ge=1, le=10_000)
    relay_standby_poll_seconds: float = Field(
        1.0,
        gt=0,
        le=60,
        description="how often a standby relay tries the publishing relay's lock "
        "(PostgreSQL); a takeover after the publisher dies waits at most this long",
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    log_format: Literal["console", "json"] | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    commit_batch_max: int = Field(500, ge=1, le=10_000)
    aggregate_cache_size: int = Field(10_000, ge=0)
    staff_cache_seconds: float = Field(2.0, ge=0)
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    max_header_bytes: int = Field(16 * 1024, ge=1024)
    rate_limit_per_minute: int = Field(
        600, ge=0, description="requests a minute per token's subject (0: no limit)"
    )
    rate_limit_unauthenticated_per_minute: int = Field(
        300, ge=0, description="requests a minute per address without a valid token (0: none)"
    )
    header_timeout_seconds: float = Field(
        10.0, gt=0, description="a request's line and headers must arrive within this time"
    )
    body_timeout_seconds: float = Field(
        30.0, gt=0, description="a request's whole body must arrive within this time"
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="comma-separated addresses of the proxies whose X-Forwarded-Proto and "
        "X-Forwarded-For are believed (HTTPS behind a proxy: HSTS, Secure cookie); * for any",
    )
    projection_batch_size: int = Field(500, ge=1, le=50_000)
    jwt_secret: SecretStr | None = Field(
        None, description="HMAC (HS256) key that verifies bearer tokens; at least 32 bytes"
    )
    jwt_public_key_file: Path | None = Field(
        None, description="PEM public key (RSA, EC or Ed25519) that verifies bearer tokens"
    )
    jwt_jwks_file: Path | None = Field(None, description="JWKS file of verification keys")
    jwt_audience: str = "casebook"
    jwt_issuer: str | None = None
    oidc_issuer: str | None = Field(
        None,
        description="the OpenID Connect provider (its /.well-known/openid-configuration); "
        "set, the web app signs in through it only",
    )
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_redirect_url: str | None = Field(
        None, description="where the provider sends the browser back; default: /app/auth/callback"
    )
    oidc_scopes: str = "openid profile"
    oidc_staff_id_claim: str = Field("sub", description="the claim holding the staff id")
    oidc_role_claim: str = Field("role", description="the claim holding the role (or roles)")
    oidc_municipalities_claim: str = "municipalities"
    oidc_api_audience: str | None = Field(
        None, description="the audience of the provider's bearer tokens; default: the client id"
    )
    candidate_kek: SecretStr | None = Field(
        None, description="base64 of the 32-byte key that encrypts candidates' data keys"
    )
    candidate_index_key: SecretStr | None = Field(
        None,
        description="base64 of the 32-byte HMAC key of the CPR blind index; "
        "default: one derived from the KEK",
    )
    metrics_port: int | None = Field(
        None, ge=1, le=65535, description="serve /metrics on its own listener on this port"
    )
    rebuild_batch_size: int = Field(5000, ge=1, le=100_000)
    rebuild_processes: int = Field(
        default_factory=lambda: min(len(os.sched_getaffinity(0)), 8),
        ge=1,
        le=64,
        description="processes a rebuild splits the log between, by aggregate "
        "(PostgreSQL, logs of 50,000 events or more); default: the cores this "
        "process may run on, at most 8",
    )
    state_snapshot_every: int = Field(250, ge=0, le=1_000_000)
    idempotency_retention_days: int = Field(
        7,
        ge=1,
        le=3650,
        description="days an Idempotency-Key's answer is kept; a command retried later "
        "is a new command (the projection worker deletes older records, in batches)",
    )

    @field_validator("read_database_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`CASEBOOK_READ_DATABASE_URL=` (set, but empty) reads from the primary."""
        return None if value == "" else value

    @model_validator(mode="after")
    def _reads_on_postgres(self) -> Settings:
        """A read database is a replica of a PostgreSQL event store, and PostgreSQL too."""
        reads = self.read_database_url
        if reads is not None and (self.backend != "postgres" or not _is_postgres(reads)):
            raise ValueError(
                "CASEBOOK_READ_DATABASE_URL needs PostgreSQL in both it and "
                "CASEBOOK_DATABASE_URL (a streaming replica of the event store's server)"
            )
        return self

    def for_reads(self) -> Settings:
        """These settings with the read database as the database (itself when unset)."""
        if self.read_database_url is None:
            return self
        return self.model_copy(
            update={"database_url": self.read_database_url, "read_database_url": None}
        )

    @property
    def backend(self) -> Literal["sqlite", "postgres", "memory"]:
        """Which event store the database URL names."""
        scheme = urlsplit(self.database_url).scheme
        if scheme == "sqlite":
            return "sqlite"
        if _is_postgres(self.database_url):
            return "postgres"
        if scheme == "memory":
            return "memory"
        raise ValueError(f"unsupported CASEBOOK_DATABASE_URL scheme {scheme!r}")

    @property
    def embedded(self) -> bool:
        """The embedded mode runs on SQLite (or memory) in one process."""
        return self.backend != "postgres"

    @property
    def effective_log_format(self) -> Literal["console", "json"]:
        """JSON logs in production, readable ones in the embedded mode, unless set."""
        if self.log_format is not None:
            return self.log_format
        return "console" if self.embedded else "json"

    def sqlite_path(self) -> str:
        """The SQLite file named by the URL (sqlite:///relative or sqlite:////absolute)."""
        return self.database_url.removeprefix("sqlite:///")

    def postgres_parts(self) -> dict[str, str]:
        """Host, port, user, password and database name from the URL."""
        url = urlsplit(self.database_url)
        return {
            "host": url.hostname or "127.0.0.1",
            "port": str(url.port or 5432),
            "user": unquote(url.username or "postgres"),
            "password": unquote(url.password or ""),
            "dbname": url.path.lstrip("/") or "postgres",
        }


def _is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in ("postgres", "postgresql", "postgresql+psycopg")
