"""Services: what the routes and pages need, built once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from infra.cache import BoundedCache
from infra.clock import local_now
from infra.settings import Settings
from infra.vault import Vault
from services.eventstore import CasebookApplication
from services.feed.relay import Relay
from services.http.auth import TokenVerifier
from services.read.db import ProjectionDb
from services.read.progress import ProjectionWatcher
from services.read.projector import ProjectionService
from services.read.replica import ReplicaWatcher
from services.read.snapshots import StateSnapshots
from services.write.committer import GroupCommitter
from services.write.pruning import IdempotencyPruner


class MunicipalityCache(BoundedCache[UUID, str]):
    """Which municipality a company belongs to (it never changes), bounded LRU."""

    def __init__(self, size: int = 100_000) -> None:
        super().__init__(size)


@dataclass
class Services:
    """What the routes need, built once at the composition root."""

    settings: Settings
    app: CasebookApplication
    committer: GroupCommitter
    views: ProjectionDb
    vault: Vault
    snapshots: StateSnapshots
    projections: ProjectionService | None = None  # in-process runners (embedded mode)
    pruner: IdempotencyPruner | None = None  # beside the in-process runners
    watcher: ProjectionWatcher | None = None  # progress of `casebook project` workers elsewhere
    read_views: ProjectionDb | None = None  # the read models on a replica, if one is set
    replica_watcher: ReplicaWatcher | None = None  # their progress there
    relay: Relay | None = None  # the relay to NATS, in the embedded mode
    clock: Callable[[], datetime] = local_now
    verifier: TokenVerifier | None = None
    municipalities: MunicipalityCache = field(default_factory=MunicipalityCache)

    @property
    def reads(self) -> ProjectionDb:
        """The read models' database of the read routes: the replica when one is set,
        else the one the workers write."""
        return self.read_views or self.views

    def close(self) -> None:
        """Finish queued commands, stop the runners, release the stores."""
        self.committer.close()
        if self.pruner is not None:
            self.pruner.stop()
        if self.relay is not None:
            self.relay.stop()
        if self.projections is not None:
            self.projections.stop()
        if self.watcher is not None:
            self.watcher.stop()
        if self.replica_watcher is not None:
            self.replica_watcher.stop()
        if self.read_views is not None:
            self.read_views.close()
        self.views.close()
        self.app.close()
