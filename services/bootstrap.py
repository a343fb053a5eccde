"""The composition root: every service built from Settings, every table created, the
followers (read models, seal, relay) wired to the commit fan-out, and the pruner of
expired idempotency records run beside the projection workers.

Nothing below this module imports it; the adapters (the HTTP app, the CLI) start here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from infra.persistence import event_store_env, postgres_is_migrated, with_migrate_lock
from infra.settings import Settings
from infra.vault import key_encryption_key
from services.audit.seal import Sealer, create_seal
from services.eventstore import CasebookApplication, open_application, open_vault
from services.feed.positions import create_relay_table
from services.feed.relay import Relay
from services.http.auth import TokenVerifier, check_production_keys
from services.http.container import Services
from services.read.db import ProjectionDb, create_views
from services.read.progress import ProjectionWatcher
from services.read.projector import ProjectionService
from services.read.replica import ReplicaWatcher
from services.read.snapshots import StateSnapshots
from services.write.committer import GroupCommitter
from services.write.pruning import IdempotencyPruner


def migrate(settings: Settings) -> None:
    """Create every table casebook needs; safe to run twice or concurrently."""

    def create() -> None:
        app = CasebookApplication(env=event_store_env(settings, create_tables=True))
        app.store.create_idempotency_table()
        open_vault(settings, app, kek=bytes(32)).create_tables()  # tables need no key
        app.close()
        if settings.backend != "memory":  # an in-memory store gets its views when opened
            views = ProjectionDb(settings)
            create_tables(views)
            views.close()

    with_migrate_lock(settings, create)


def create_tables(views: ProjectionDb) -> None:
    """The tables beside the event store: read models, the seal, the relay's position."""
    create_views(views)
    create_seal(views)
    create_relay_table(views)


def projection_service(
    app: CasebookApplication, views: ProjectionDb, settings: Settings
) -> ProjectionService:
    """The projection workers, with the seal as one more follower of the log."""
    sealer = Sealer(app, views, postgres=settings.backend == "postgres")
    return ProjectionService(app, views, settings, followers=[sealer])


def idempotency_pruner(app: CasebookApplication, settings: Settings) -> IdempotencyPruner:
    """The deleter of expired idempotency records; it runs beside the projection workers."""
    return IdempotencyPruner(app.store, settings.idempotency_retention_days)


def build_services(
    settings: Settings, *, run_projections: bool | None = None, run_relay: bool | None = None
) -> Services:
    """Open the stores, start the group committer and (embedded) the projection runners
    and, when CASEBOOK_NATS_URL is set, the relay to NATS."""
    check_production_keys(settings)
    key_encryption_key(settings)  # refuses a missing or development key in production
    if settings.embedded:
        migrate(settings)  # the embedded mode migrates on start
    elif not postgres_is_migrated(settings):
        raise RuntimeError(
            f"no casebook tables in schema {settings.postgres_schema!r}: "
            "run `casebook migrate` first"
        )
    app = open_application(settings)
    views = ProjectionDb(settings)
    if settings.backend == "memory":
        create_tables(views)
    if run_projections is None:
        run_projections = settings.embedded
    if run_relay is None:
        run_relay = settings.embedded and settings.nats_url is not None
    projections = projection_service(app, views, settings) if run_projections else None
    pruner = idempotency_pruner(app, settings) if run_projections else None
    relay = Relay(app, views, settings) if run_relay else None
    woken = [s.wake for s in (projections, relay) if s is not None]
    committer = GroupCommitter(
        app,
        max_batch=settings.commit_batch_max,
        cache_size=settings.aggregate_cache_size,
        staff_ttl_seconds=settings.staff_cache_seconds,
        on_commit=_fan_out(woken) if woken else None,
    )
    if projections is not None:
        projections.start()
    if pruner is not None:
        pruner.start()
    if relay is not None:
        relay.start()
    # Reads may come from a streaming replica; everything that writes stays on the primary.
    read_views = ProjectionDb(settings.for_reads()) if settings.read_database_url else None
    watcher = None
    if projections is None and settings.backend == "postgres" and read_views is None:
        watcher = ProjectionWatcher(views, settings)
    snapshots = StateSnapshots(app, views, settings.state_snapshot_every)
    return Services(
        settings=settings,
        app=app,
        committer=committer,
        views=views,
        vault=open_vault(settings, app),
        verifier=TokenVerifier(settings),
        snapshots=snapshots,
        projections=projections,
        pruner=pruner,
        watcher=watcher,
        relay=relay,
        read_views=read_views,
        replica_watcher=ReplicaWatcher(read_views) if read_views is not None else None,
    )


def _fan_out(callbacks: Sequence[Callable[[int], None]]) -> Callable[[int], None]:
    def call(position: int) -> None:
        for callback in callbacks:
            callback(position)

    return call
