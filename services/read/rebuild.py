"""Rebuilding read models: one pass over the log feeds the new generation of every read
model being rebuilt, while the old ones serve; then each is swapped in, and the running
workers take over (`rebuild_runner.py`; a long log on PostgreSQL is split between
processes first: `rebuild_parts.py`). After the bulk load come the indexes, the
summaries and the planner's statistics."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import structlog

from projections.base import Projection
from projections.registry import PROJECTIONS
from services.eventstore import CasebookApplication
from services.read.db import REGISTRY, ProjectionDb
from services.read.rebuild_parts import SPLIT_FROM, Part, PartDone, fill_apart
from services.read.rebuild_runner import REBUILD_BATCH_SIZE, RebuildRunner, Rebuilt, bulk_gc

log = structlog.get_logger()
_INDEXED = re.compile(r"^CREATE INDEX IF NOT EXISTS \w+ ON (\w+) ")  # its table


def _record_position(
    views: ProjectionDb, targets: list[tuple[Projection, int]], position: int
) -> None:
    """Record that every target has reached `position` (a split rebuild's parts are
    done), in one transaction."""
    with views.transaction() as sql:
        for projection, generation in targets:
            sql.execute(
                f"UPDATE {REGISTRY} SET position = %s WHERE name = %s AND generation = %s",
                (position, projection.name, generation),
            )


def _finish(views: ProjectionDb, targets: list[tuple[Projection, int]], threads: int) -> None:
    """After the bulk load: create the targets' secondary indexes and fill their
    summaries (whose rows come from tables that are all there by now), then gather each
    table's statistics for the planner (PostgreSQL: without them its first plans guess,
    until autovacuum gets round to them, or never where it is off), `threads` statements
    at once. A table's ANALYZE starts as soon as its own indexes and fill are done, the
    largest tables' work first: the longest chain (the timeline's index, then its
    statistics) sets how long this takes."""
    work: dict[str, list[str]] = {}
    for projection, _ in targets:
        for table in projection.table_names():
            work[projection.t(table)] = []
        for statement in projection.ddl():
            indexed = _INDEXED.search(statement)
            if indexed:
                work[indexed.group(1)].append(statement)
        for summary in projection.summaries:
            work[projection.t(summary.table)].append(projection.fill(summary))
    if views.copies:
        [(sizes,)] = views.query(
            "SELECT json_object_agg(t, pg_relation_size(t::regclass)) FROM unnest(%s::text[]) t",
            (list(work),),
        )
        work = dict(sorted(work.items(), key=lambda item: -int(sizes[item[0]])))
    left = {table: len(statements) for table, statements in work.items()}
    ready: list[tuple[str, str | None]] = [
        (statement, table) for table, statements in work.items() for statement in statements
    ]
    if views.copies:
        ready += [(f"ANALYZE {table}", None) for table, n in left.items() if not n]

    def run(statement: str) -> None:
        with views.transaction() as sql:
            sql.execute(statement)

    running: dict[Future[None], str | None] = {}
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rebuild-ddl") as pool:
        while ready or running:
            while ready and len(running) < threads:
                statement, owner = ready.pop(0)
                running[pool.submit(run, statement)] = owner
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                owner = running.pop(future)
                future.result()  # a failure fails the rebuild (the running ones end first)
                if owner is not None:
                    left[owner] -= 1
                    if not left[owner] and views.copies:
                        ready.insert(0, (f"ANALYZE {owner}", None))


def rebuild_all(
    app: CasebookApplication,
    views: ProjectionDb,
    names: list[str],
    progress: Callable[[int], None],
    *,
    batch_size: int = REBUILD_BATCH_SIZE,
    processes: int = 1,
    parts_done: Callable[[PartDone], None] | None = None,
) -> list[Rebuilt]:
    """Build new generations of the named read models in one pass over the log while
    the old ones serve, then swap them in. With `processes` > 1 on PostgreSQL and a
    long log, the log is split between that many processes (see the module), and
    `parts_done` is told what each took."""
    known = {p.name: p for p in PROJECTIONS}
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ValueError(
            f"no read model named {', '.join(map(repr, unknown)) or '(none)'} "
            f"(known: {', '.join(known)})"
        )
    classes = [known[n] for n in dict.fromkeys(names)]
    targets = []
    for cls in classes:
        generation = views.next_generation(cls.name)
        targets.append(
            (views.start_generation(cls, generation, active=False, indexes=False), generation)
        )
    runner = RebuildRunner(app, views, targets, batch_size=batch_size)
    head = app.last_position()
    split = processes > 1 and views.copies and head >= SPLIT_FROM
    try:
        if split:
            made = tuple((p.name, g) for p, g in targets)
            for done in fill_apart(
                views.settings,
                [Part(made, k, processes, head, batch_size) for k in range(processes)],
                progress,
            ):
                log.info(
                    "rebuild_part_done",
                    part=done.k,
                    of=processes,
                    cpu_seconds=round(done.cpu_seconds, 1),
                    peak_rss_mb=round(done.peak_rss_mb),
                )
                if parts_done is not None:
                    parts_done(done)
            _record_position(views, targets, head)
            runner.start_at(head)  # what arrived meanwhile, to every target together
        with bulk_gc():
            runner.catch_up(progress)
        # Indexing after the bulk load beats row by row (several at once on PostgreSQL).
        threads = processes if views.copies else 1
        _finish(views, targets, threads)
        for cls, (_, generation) in zip(classes, targets, strict=True):
            views.activate(cls, generation)
        runner.refresh = True  # from here on, batch by batch, as the workers do
        runner.catch_up(progress)  # what arrived during the swaps; then the workers take over
    finally:
        runner.close()
    return [
        Rebuilt(cls.name, generation, runner.position)
        for cls, (_, generation) in zip(classes, targets, strict=True)
    ]


def rebuild(
    app: CasebookApplication,
    views: ProjectionDb,
    name: str,
    progress: Callable[[int], None],
    *,
    batch_size: int = REBUILD_BATCH_SIZE,
) -> Rebuilt:
    """Rebuild one read model (see `rebuild_all`)."""
    [rebuilt] = rebuild_all(app, views, [name], progress, batch_size=batch_size)
    return rebuilt
