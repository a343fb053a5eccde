"""A rebuild split between processes (`services/rebuild.py`): each part reads its own
aggregates' events in log order and stops at the position the rebuild began at, on two
connections; a part that fails, is killed or cannot start stops the rebuild loudly, and no
part outlives the rebuild."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime
from multiprocessing import context
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, cast

import psycopg
import pytest

from domain.staff import StaffMember
from domain.values import StaffRole, Unit
from infra.settings import Settings
from projections.directory import DirectoryProjection
from services.bootstrap import migrate
from services.eventstore import open_application
from services.read.db import ProjectionDb, prefix_of
from services.read.rebuild_parts import Part, fill_apart, open_part
from services.read.rebuild_runner import RebuildRunner


def _staff(settings: Settings, n: int, events_each: int = 1) -> int:
    """A migrated store with n staff members joined (and moved events_each - 1 times);
    the log's head."""
    migrate(settings)
    app = open_application(settings)
    try:
        for i in range(n):
            member = StaffMember.join(
                staff_id=uuid.uuid4(),
                name=f"Gry {i}",
                municipality="165",
                unit=Unit.JOB_CENTRE,
                role=StaffRole.CONSULTANT,
                municipalities={"165"},
            )
            for _ in range(events_each - 1):
                member.move(
                    municipality="165",
                    unit=Unit.BUSINESS_UNIT,
                    role=StaffRole.CONSULTANT,
                    moved_on=date(2026, 1, 5),
                    municipalities={"165"},
                    now=datetime(2026, 1, 6, tzinfo=UTC),
                )
            app.save(member)
        return app.last_position()
    finally:
        app.close()


def test_the_parts_of_the_log_are_its_aggregates_dealt_out(postgres_settings: Settings) -> None:
    """Three parts hold every event once, each in log order, and every aggregate's
    events in one part."""
    head = _staff(postgres_settings, 30, events_each=3)
    app = open_application(postgres_settings)
    try:
        parts = [app.store.read_log(1, head, part=(k, 3)) for k in range(3)]
    finally:
        app.close()
    assert sorted(row[0] for rows in parts for row in rows) == list(range(1, head + 1))
    assert all([row[0] for row in rows] == sorted(row[0] for row in rows) for rows in parts)
    owners = [{row[1] for row in rows} for rows in parts]
    assert all(rows for rows in parts)
    assert not (owners[0] & owners[1] or owners[0] & owners[2] or owners[1] & owners[2])


def test_a_runner_stops_at_its_position(postgres_settings: Settings) -> None:
    """With `until`, a runner applies the log up to that position and no further, however
    much more there is; a part (no positions recorded) too."""
    head = _staff(postgres_settings, 12)
    app, views = open_application(postgres_settings), ProjectionDb(postgres_settings)
    try:
        projection = views.start_generation(DirectoryProjection, 2, active=False)
        runner = RebuildRunner(app, views, [(projection, 2)], batch_size=5, until=head - 4)
        try:
            assert runner.catch_up() == head - 4
            assert views.query(
                "SELECT position FROM casebook_projections WHERE "
                "name = 'directory' AND generation = 2"
            ) == [(head - 4,)]
            runner.until = None
            runner.start_at(head - 4)
            assert runner.catch_up() == 4
        finally:
            runner.close()
        assert len(views.query(f"SELECT * FROM {prefix_of('directory', 2)}staff")) == 12
        other = views.start_generation(DirectoryProjection, 3, active=False)
        parts = [
            RebuildRunner(app, views, [(other, 3)], batch_size=2, until=head - 4, part=(k, 2))
            for k in range(2)
        ]
        try:
            assert sum(part.catch_up() for part in parts) == head - 4
        finally:
            for part in parts:
                part.close()
        assert len(views.query(f"SELECT * FROM {prefix_of('directory', 3)}staff")) == 8
        assert views.query(
            "SELECT position FROM casebook_projections WHERE name = 'directory' AND generation = 3"
        ) == [(0,)]
    finally:
        views.close()
        app.close()


def test_a_failing_part_stops_the_rebuild(postgres_settings: Settings) -> None:
    """A part that cannot write (here: a generation with no tables) makes the rebuild
    raise with the part's reason."""
    head = _staff(postgres_settings, 3)
    reported: list[int] = []
    with pytest.raises(RuntimeError, match=r"failed: .*does not exist"):
        fill_apart(
            postgres_settings,
            [Part((("directory", 99),), k, 2, head, 100) for k in range(2)],
            reported.append,
        )


def test_a_part_holds_two_connections_at_most(postgres_settings: Settings) -> None:
    """A part's event store and views hold two connections each at most (it reads with
    one and writes with one), whatever pools the service is configured with: split
    between the cores of a large machine, the parts would otherwise take the database's
    connections from the running service."""
    migrate(postgres_settings)
    app, views = open_part(postgres_settings.model_copy(update={"db_pool_size": 20}))
    try:
        pools: list[Any] = [cast(Any, app.recorder).datastore.pool, views._pool]
        assert [pool.max_size for pool in pools] == [2, 2]
    finally:
        views.close()
        app.close()


def _started(name: str) -> BaseProcess:
    """The child process of that name, once it has started."""
    for _ in range(400):
        found = [p for p in multiprocessing.active_children() if p.name == name]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no process {name} started")


def test_a_killed_part_stops_the_rebuild_saying_how(postgres_settings: Settings) -> None:
    """A part killed without a word (as the kernel kills one when memory runs out) makes
    the rebuild raise, naming the part and the signal, and stop the other part (here
    still waiting for the log)."""
    head = _staff(postgres_settings, 3)
    app = open_application(postgres_settings)
    log = f'"{postgres_settings.postgres_schema}".{cast(Any, app.recorder).events_table_name}'
    app.close()
    raised: list[BaseException] = []

    def rebuild() -> None:
        try:
            fill_apart(
                postgres_settings,
                [Part((("directory", 1),), k, 2, head, 100) for k in range(2)],
                lambda _: None,
            )
        except RuntimeError as e:
            raised.append(e)

    thread = threading.Thread(target=rebuild)
    with psycopg.connect(postgres_settings.database_url) as conn:  # the parts wait for it
        conn.execute(f"LOCK TABLE {log} IN ACCESS EXCLUSIVE MODE")
        thread.start()
        killed = _started("rebuild-0").pid
        assert killed is not None
        os.kill(killed, signal.SIGKILL)
        thread.join()
    assert [str(e) for e in raised] == [
        "a rebuild process (rebuild-0) ended without a word: killed by signal 9 (Killed)"
    ]
    assert not multiprocessing.active_children()


# A rebuild's parent process, killed in the test below: argv is the database URL, the
# schema and the position the parts stop at.
_PARENT = (
    "import sys; from infra.settings import Settings; "
    "from services.read.rebuild_parts import fill_apart, Part; "
    "settings = Settings(database_url=sys.argv[1], postgres_schema=sys.argv[2]); "
    "fill_apart(settings, [Part((('directory', 1),), k, 2, int(sys.argv[3]), 100) "
    "for k in range(2)], print)"
)


def _state(pid: int) -> tuple[int, str]:
    """A process's parent and state letter (`Z`: ended, not yet reaped); (0, "X") once it
    is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0, "X"
    return int(fields[1]), fields[0]


def _children(parent: int, count: int) -> list[int]:
    """The first `count` parts `parent` starts (its fork server's children), once it has
    started them."""
    for _ in range(400):
        servers = {
            int(p.name)
            for p in Path("/proc").iterdir()
            if p.name.isdigit()
            and _state(int(p.name))[0] == parent
            and b"forkserver" in _cmdline(p)
        }
        found = [
            int(p.name)
            for p in Path("/proc").iterdir()
            if p.name.isdigit() and _state(int(p.name))[0] in servers
        ]
        if len(found) >= count:
            return found[:count]
        time.sleep(0.05)
    raise AssertionError(f"process {parent} did not start {count} processes")


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""


def _all_end(pids: list[int]) -> bool:
    """Whether these processes all end (within seconds)."""
    for _ in range(200):
        if all(_state(pid)[1] in "ZX" for pid in pids):
            return True
        time.sleep(0.05)
    return False


def test_the_parts_end_when_the_rebuild_is_killed(postgres_settings: Settings) -> None:
    """When the rebuild's own process is killed (SIGKILL, or SIGTERM: neither runs its
    `finally`), its parts end too, rather than go on filling, with every core, a
    generation that nothing will use."""
    head = _staff(postgres_settings, 3)
    app = open_application(postgres_settings)
    log = f'"{postgres_settings.postgres_schema}".{cast(Any, app.recorder).events_table_name}'
    app.close()
    with psycopg.connect(postgres_settings.database_url) as conn:  # the parts wait for it
        conn.execute(f"LOCK TABLE {log} IN ACCESS EXCLUSIVE MODE")
        rebuild = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _PARENT,
                postgres_settings.database_url,
                postgres_settings.postgres_schema,
                str(head),
            ],
            cwd=Path(__file__).parents[2],
            stdout=subprocess.DEVNULL,
        )
        parts = _children(rebuild.pid, 2)
        rebuild.kill()
        rebuild.wait()
        assert _all_end(parts)


def test_a_part_that_cannot_start_fails_the_rebuild_with_why(
    postgres_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the second part cannot be started (as when the system has no process or
    memory to spare), the rebuild raises that reason, and the part already started is
    stopped."""
    head = _staff(postgres_settings, 3)
    start = context.ForkServerProcess._Popen
    started: list[BaseProcess] = []

    def popen(process: BaseProcess) -> Any:
        if started:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        started.append(process)
        return start(process)

    monkeypatch.setattr(context.ForkServerProcess, "_Popen", staticmethod(popen))
    with pytest.raises(BlockingIOError, match="Resource temporarily unavailable"):
        fill_apart(
            postgres_settings,
            [Part((("directory", 1),), k, 2, head, 100) for k in range(2)],
            lambda _: None,
        )
    assert [p.exitcode is not None for p in started] == [True]


# A main module that says, in a file, each time it runs: as `__main__` in the rebuild's
# own process, and (before the fix) as `__mp_main__` again in every part.
_MAIN = """
import sys
from pathlib import Path
with Path(sys.argv[4]).open("a") as said:
    said.write(__name__ + "\\n")
from infra.settings import Settings
from services.read.rebuild_parts import Part, fill_apart
if __name__ == "__main__":
    settings = Settings(database_url=sys.argv[1], postgres_schema=sys.argv[2])
    done = fill_apart(
        settings, [Part((("directory", 1),), k, 2, int(sys.argv[3]), 100) for k in range(2)],
        lambda _: None,
    )
    print(len(done))
"""


def test_the_parts_do_not_run_the_main_module_again(
    postgres_settings: Settings, tmp_path: Path
) -> None:
    """The parts start without running the rebuild's main module again (multiprocessing
    does that by default, and `casebook`'s imports the whole API: about 0.45 s of CPU
    a part), and still do their work."""
    head = _staff(postgres_settings, 3)
    script, said = tmp_path / "rebuild_main.py", tmp_path / "said"
    script.write_text(_MAIN)
    ran = subprocess.run(
        [
            sys.executable,
            str(script),
            postgres_settings.database_url,
            postgres_settings.postgres_schema,
            str(head),
            str(said),
        ],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert ran.stdout.split() == ["2"]
    assert said.read_text().split() == ["__main__"]
