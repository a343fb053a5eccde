"""The eventsourcing Application: the event store, and reading aggregates back."""

from __future__ import annotations

from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder

from domain import candidate, company, staff  # noqa: F401  (registers the event topics)
from infra.persistence import APP_NAME, event_store_env, register_transcodings, with_migrate_lock
from infra.settings import Settings
from infra.stores import IdempotentRecorder

A = TypeVar("A", bound=Aggregate)


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


def open_application(settings: Settings, **extra_env: Any) -> CasebookApplication:
    """Build the application for these settings; tables must exist (see migrate)."""
    env = event_store_env(settings) | {k: str(v) for k, v in extra_env.items()}
    return CasebookApplication(env=env)


def migrate(settings: Settings) -> None:
    """Create every table casebook needs; safe to run twice or concurrently."""

    def create() -> None:
        app = CasebookApplication(env=event_store_env(settings, create_tables=True))
        app.store.create_idempotency_table()
        from services.candidates import open_vault

        open_vault(settings, app, kek=bytes(32)).create_tables()  # tables need no key
        app.close()
        from services.relay import create_relay_table
        from services.views import ViewDb, create_views

        if settings.backend != "memory":  # an in-memory store gets its views when opened
            views = ViewDb(settings)
            create_views(views)
            create_relay_table(views)
            views.close()

    with_migrate_lock(settings, create)
