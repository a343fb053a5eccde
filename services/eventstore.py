"""The eventsourcing Application: the event store, reading aggregates back, and the vault
of personal data beside it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Notification
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from domain import candidate, company, contract, staff  # noqa: F401  (registers the event topics)
from infra.cpr_index import index_key
from infra.persistence import APP_NAME, event_store_env, register_transcodings
from infra.recorder import IdempotentRecorder
from infra.settings import Settings
from infra.vault import Vault, key_encryption_key
from infra.vault_stores import MemoryVault, PostgresVault, SQLiteVault

A = TypeVar("A", bound=Aggregate)
LOG_PAGE = 10_000  # events per read when a reader goes through the whole log


class CasebookApplication(Application[UUID]):
    """casebook's event store; commands go through the GroupCommitter."""

    name = APP_NAME

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_transcodings(transcoder)

    @property
    def store(self) -> IdempotentRecorder:
        """The recorder, with casebook's idempotency operations."""
        return cast(IdempotentRecorder, self.recorder)

    def find(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        """The aggregate with this id, or None when there is none of this kind."""
        try:
            found: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, kind) else None

    def last_position(self) -> int:
        """The position of the newest event in the log (0 when it is empty)."""
        return self.recorder.max_notification_id() or 0

    def head_once(self) -> int:
        """The log's newest position asked once: without the recorder's ten retries
        (each waiting up to the connect timeout for a connection), for readiness, which
        must answer while the database is down."""
        ask = self.recorder.max_notification_id
        once = getattr(ask, "__wrapped__", None)  # eventsourcing's @retry keeps it
        return (once(self.recorder) if once else ask()) or 0

    def log_page(
        self, after: int, limit: int, *, stop: int | None = None, topics: Sequence[str] = ()
    ) -> Sequence[Notification]:
        """Up to `limit` stored events after log position `after` (up to `stop`, of
        `topics` if given), in log order."""
        return self.recorder.select_notifications(
            start=after, limit=limit, stop=stop, topics=topics, inclusive_of_start=False
        )

    def log_after(
        self,
        after: int = 0,
        *,
        page: int = LOG_PAGE,
        stop: int | None = None,
        topics: Sequence[str] = (),
    ) -> Iterator[Notification]:
        """Every stored event after `after` (up to `stop`, of `topics`), in log order, a
        page per read: never the whole log at once."""
        while True:
            notes = self.log_page(after, page, stop=stop, topics=topics)
            yield from notes
            if len(notes) < page:
                return
            after = notes[-1].id


def open_application(settings: Settings, **extra_env: Any) -> CasebookApplication:
    """Build the application for these settings; tables must exist (see migrate)."""
    env = event_store_env(settings) | {k: str(v) for k, v in extra_env.items()}
    return CasebookApplication(env=env)


def open_vault(settings: Settings, app: CasebookApplication, kek: bytes | None = None) -> Vault:
    """The vault beside this application's event store (KEK from settings by default)."""
    kek = kek if kek is not None else key_encryption_key(settings)
    blind_key = index_key(settings)
    datastore = getattr(app.recorder, "datastore", None)
    if isinstance(datastore, PostgresDatastore):
        return PostgresVault(kek, datastore, blind_key)
    if isinstance(datastore, SQLiteDatastore):
        return SQLiteVault(kek, datastore, blind_key)
    vault = MemoryVault(kek, blind_key)
    vault.create_tables()
    return vault
