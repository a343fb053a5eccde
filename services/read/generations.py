"""The registry of read-model generations: which generation of each read model readers
use and the log position it has reached; new generations, swaps, and the tables of
migrate."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from projections.base import Projection, Sql
from projections.notices import SEEN_TABLE
from projections.registry import PROJECTIONS

REGISTRY = "casebook_projections"
RUNNERS = "casebook_projection_workers"  # one heartbeat row per projection worker
SNAPSHOTS = "casebook_state_snapshots"  # company histories, for GET .../state
Active = dict[str, tuple[int, int]]
"""Each read model's (generation, position) that readers use."""
Moved = tuple[str, int, int]
"""A read model's name, generation and new position, as announced."""
ACTIVE = f"SELECT name, generation, position FROM {REGISTRY} WHERE active = 1"


class Generations:
    """The registry's operations, on the database of the class it is mixed into."""

    _local: threading.local
    postgres: bool
    row_lock: str

    def transaction(self, *, write: bool = True) -> AbstractContextManager[Sql]:
        raise NotImplementedError

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def create_registry(self) -> None:
        """The table of projections, their generations and positions."""
        with self.transaction() as sql:
            sql.execute(
                f"CREATE TABLE IF NOT EXISTS {REGISTRY} (name TEXT NOT NULL, "
                "generation INTEGER NOT NULL, position BIGINT NOT NULL, "
                "active INTEGER NOT NULL, PRIMARY KEY (name, generation))"
            )
            sql.execute(
                f"CREATE TABLE IF NOT EXISTS {RUNNERS} (worker TEXT PRIMARY KEY, "
                "heartbeat_at DOUBLE PRECISION NOT NULL, status TEXT NOT NULL)"
            )
            sql.execute(
                f"CREATE TABLE IF NOT EXISTS {SNAPSHOTS} (company_id TEXT NOT NULL, "
                "format INTEGER NOT NULL, version INTEGER NOT NULL, "
                "recorded_us BIGINT NOT NULL, data TEXT NOT NULL, "
                "PRIMARY KEY (company_id, format, version))"
            )
            sql.execute(SEEN_TABLE)  # what each person has seen of the notices

    def active_generations(self) -> dict[str, tuple[int, int]]:
        """Every read model's (generation, position) that readers use (inside `reading()`:
        as the block began)."""
        memo: dict[str, tuple[int, int]] | None = getattr(self._local, "generations", None)
        return dict(memo) if memo is not None else generations_of(self.query(ACTIVE))

    def has_table(self, sql: Sql, table: str) -> bool:
        """Whether the views' database has this table (in the configured schema)."""
        if self.postgres:
            sql.execute("SELECT to_regclass(%s) IS NOT NULL", (table,))
        else:
            sql.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = %s", (table,)
            )
        return bool(sql.fetchall()[0][0])

    def has_column(self, sql: Sql, table: str, column: str) -> bool:
        """Whether this table (in the configured schema) has the column."""
        if self.postgres:
            sql.execute(
                "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = "
                "current_schema() AND table_name = %s AND column_name = %s",
                (table, column),
            )
        else:
            sql.execute(
                "SELECT COUNT(*) FROM pragma_table_info(%s) WHERE name = %s", (table, column)
            )
        return bool(sql.fetchall()[0][0])

    def active_generation(self, name: str) -> tuple[int, int] | None:
        """(generation, position) that readers use, if the projection exists."""
        memo: dict[str, tuple[int, int]] | None = getattr(self._local, "generations", None)
        if memo is not None:  # inside reading(): as the block began
            return memo.get(name)
        rows = self.query(
            f"SELECT generation, position FROM {REGISTRY} WHERE name = %s AND active = 1", (name,)
        )
        return (int(rows[0][0]), int(rows[0][1])) if rows else None

    def next_generation(self, name: str) -> int:
        """A generation number not used yet for this projection."""
        rows = self.query(f"SELECT MAX(generation) FROM {REGISTRY} WHERE name = %s", (name,))
        return int(rows[0][0] or 0) + 1

    def activate(self, cls: type[Projection], generation: int) -> None:
        """Make `generation` the one readers use; drop the generations before the one it
        replaces (that one stays until the next swap, for readers still using it)."""
        with self.transaction() as sql:
            sql.execute(
                f"SELECT generation FROM {REGISTRY} WHERE name = %s AND active = 1", (cls.name,)
            )
            replaced = [int(g) for (g,) in sql.fetchall()]
            sql.execute(f"SELECT generation FROM {REGISTRY} WHERE name = %s", (cls.name,))
            others = [
                int(g) for (g,) in sql.fetchall() if int(g) < generation and int(g) not in replaced
            ]
            sql.execute(
                f"UPDATE {REGISTRY} SET active = CASE WHEN generation = %s THEN 1 "
                "ELSE 0 END WHERE name = %s",
                (generation, cls.name),
            )
        for old in others:
            with self.transaction() as sql:
                for table in cls.table_names():
                    sql.execute(f"DROP TABLE IF EXISTS {prefix_of(cls.name, old)}{table}")
                sql.execute(
                    f"DELETE FROM {REGISTRY} WHERE name = %s AND generation = %s", (cls.name, old)
                )

    def start_generation(
        self, cls: type[Projection], generation: int, *, active: bool, indexes: bool = True
    ) -> Projection:
        """Create a generation's tables and registry row (at position 0); without
        `indexes`, only the tables (a bulk load indexes afterwards: `services/rebuild.py`)."""
        projection = cls(prefix_of(cls.name, generation))
        with self.transaction() as sql:
            for statement in projection.ddl():
                if indexes or not statement.startswith("CREATE INDEX"):
                    sql.execute(statement)
            sql.execute(
                f"INSERT INTO {REGISTRY} (name, generation, position, active) "
                "VALUES (%s, %s, 0, %s)",
                (cls.name, generation, int(active)),
            )
        return projection


def create_views(views: Generations) -> None:
    """The registry and a first generation of every read model (part of migrate)."""
    views.create_registry()
    for cls in PROJECTIONS:
        active = views.active_generation(cls.name)
        if active is None:
            views.start_generation(cls, 1, active=True)
            continue
        projection = cls(prefix_of(cls.name, active[0]))
        with views.transaction() as sql:  # new tables and indexes of an upgrade
            # The registry row locked as a worker's batch locks it: no batch runs while
            # a summary new to this generation is created and filled from its tables.
            sql.execute(
                f"SELECT position FROM {REGISTRY} WHERE name = %s AND "
                f"generation = %s{views.row_lock}",
                (cls.name, active[0]),
            )
            sql.fetchall()
            new = [
                summary
                for summary in projection.summaries
                if not views.has_table(sql, projection.t(summary.table))
            ]
            for statement in projection.ddl():  # all IF NOT EXISTS
                sql.execute(statement)
            for table, column, kind in projection.added_columns:
                if not views.has_column(sql, projection.t(table), column):
                    sql.execute(f"ALTER TABLE {projection.t(table)} ADD COLUMN {column} {kind}")
            for summary in new:
                sql.execute(projection.fill(summary))


def generations_of(rows: Sequence[tuple[Any, ...]]) -> dict[str, tuple[int, int]]:
    return {str(name): (int(generation), int(position)) for name, generation, position in rows}


def parse_announcement(payload: str) -> list[Moved]:
    """The (name, generation, position) entries of an announcement's payload; none if it
    carries none or is not one of ours."""
    try:
        return [
            (name, int(generation), int(position))
            for name, generation, position in (
                entry.split(":") for entry in payload.split(",") if entry
            )
        ]
    except ValueError:
        return []


def prefix_of(name: str, generation: int) -> str:
    """Table prefix of a projection's generation."""
    return f"view_{name}_g{generation}_"
