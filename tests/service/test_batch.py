"""A batch's writes folded in memory: fewer statements, the same rows."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from services.read.batch import BatchSql

INSERT = "INSERT INTO t_rows (id, a, b) VALUES (%s, %s, %s)"
SET_A = "UPDATE t_rows SET a = %s WHERE id = %s"
SET_C = "UPDATE t_rows SET c = %s WHERE id = %s"


class Recorder:
    """A cursor that records what reaches the database."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[Sequence[Any]]]] = []

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.sent.append((statement, [list(params)]))

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        self.sent.append((statement, [list(r) for r in rows]))

    def fetchall(self) -> list[tuple[Any, ...]]:
        return []


def test_an_update_of_a_row_of_the_same_batch_changes_the_row_before_it_is_sent() -> None:
    """INSERT then UPDATEs of that row: one INSERT with the last values (unset columns NULL)."""
    db = Recorder()
    batch = BatchSql(db, {"t_rows": "id"})
    batch.execute(INSERT, ("k1", 1, "x"))
    batch.execute(INSERT, ("k2", 2, "y"))
    batch.execute(SET_A, (10, "k1"))
    batch.execute(SET_C, ("c", "k1"))
    batch.flush()
    assert db.sent == [
        (
            "INSERT INTO t_rows (id, a, b, c) VALUES (%s, %s, %s, %s)",
            [["k1", 10, "x", "c"], ["k2", 2, "y", None]],
        )
    ]


def test_updates_of_earlier_rows_merge_per_row_and_later_values_win() -> None:
    """Two updates of one earlier row become one statement with the last value."""
    db = Recorder()
    batch = BatchSql(db, {"t_rows": "id"})
    batch.execute(SET_A, (1, "old"))
    batch.execute(SET_A, (2, "old"))
    batch.execute(SET_A, (3, "other"))
    batch.flush()
    assert db.sent == [("UPDATE t_rows SET a = %s WHERE id = %s", [[2, "old"], [3, "other"]])]


def test_a_statement_it_cannot_fold_first_sends_what_its_table_holds() -> None:
    """Order within a table holds: held rows go first, then the other statement."""
    db = Recorder()
    batch = BatchSql(db, {"t_rows": "id"})
    batch.execute(INSERT, ("k1", 1, "x"))
    batch.execute("DELETE FROM t_rows WHERE a > %s", (0,))
    batch.flush()
    assert db.sent == [(INSERT, [["k1", 1, "x"]]), ("DELETE FROM t_rows WHERE a > %s", [[0]])]


ADD_N = "UPDATE t_rows SET n = n + %s WHERE id = %s"
ADD_N_M = "UPDATE t_rows SET n = n + %s, m = m + %s WHERE id = %s"
SET_N = "UPDATE t_rows SET n = %s WHERE id = %s"


def test_increments_of_a_row_of_the_same_batch_are_added_before_it_is_sent() -> None:
    """INSERT of a counter, then increments: one INSERT with the sum."""
    db = Recorder()
    batch = BatchSql(db, {"t_rows": "id"})
    batch.execute("INSERT INTO t_rows (id, n, m) VALUES (%s, %s, %s)", ("k1", 0, 5))
    batch.execute(ADD_N, (1, "k1"))
    batch.execute(ADD_N_M, (2, -1, "k1"))
    batch.flush()
    assert db.sent == [("INSERT INTO t_rows (id, n, m) VALUES (%s, %s, %s)", [["k1", 3, 4]])]


def test_increments_of_earlier_rows_are_summed_per_row_and_a_set_value_wins() -> None:
    """Increments of earlier rows become one statement of sums; an increment after a
    value set in the batch adds to that value; a value set after increments replaces them."""
    db = Recorder()
    batch = BatchSql(db, {"t_rows": "id"})
    batch.execute(ADD_N, (1, "a"))
    batch.execute(ADD_N, (1, "a"))
    batch.execute(ADD_N, (-1, "b"))
    batch.execute(SET_N, (7, "c"))
    batch.execute(ADD_N, (1, "c"))
    batch.execute(ADD_N, (5, "d"))
    batch.execute(SET_N, (0, "d"))
    batch.flush()
    assert db.sent == [
        ("UPDATE t_rows SET n = %s WHERE id = %s", [[8, "c"], [0, "d"]]),
        ("UPDATE t_rows SET n = n + %s WHERE id = %s", [[2, "a"], [-1, "b"]]),
    ]


_STEPS = st.lists(
    st.tuples(
        st.sampled_from(["insert", "set", "add", "add_both", "flush"]),
        st.sampled_from(["k1", "k2"]),
        st.integers(-3, 3),
    ),
    max_size=30,
)


@settings(max_examples=400)
@given(steps=_STEPS)
def test_folded_writes_leave_the_rows_that_the_statements_one_by_one_leave(
    steps: list[tuple[str, str, int]],
) -> None:
    """Any mix of inserts, values set and increments (counters may be NULL), sent through
    a batch flushed anywhere, gives the same table as each statement run as it came."""
    statements = {
        "insert": "INSERT INTO t_rows (id, n, m) VALUES (%s, %s, %s)",
        "set": SET_N,
        "add": ADD_N,
        "add_both": ADD_N_M,
    }
    direct, folded = (sqlite3.connect(":memory:") for _ in range(2))
    batch = BatchSql(_Qmark(folded), {"t_rows": "id"})
    inserted: set[str] = set()
    for db in (direct, folded):
        db.execute("CREATE TABLE t_rows (id TEXT PRIMARY KEY, n INTEGER, m INTEGER)")
    for kind, key, value in steps:
        if kind == "flush":
            batch.flush()
            continue
        if kind == "insert" and key in inserted:
            continue  # a projection inserts each key once
        if kind == "insert":
            inserted.add(key)
        params = {
            "insert": (key, value, None if value < 0 else value),
            "set": (None if value == 3 else value, key),
            "add": (value, key),
            "add_both": (value, 1, key),
        }[kind]
        _Qmark(direct).execute(statements[kind], params)
        batch.execute(statements[kind], params)
    batch.flush()
    rows = "SELECT id, n, m FROM t_rows ORDER BY id"
    assert folded.execute(rows).fetchall() == direct.execute(rows).fetchall()


class _Qmark(Recorder):
    """A sqlite3 connection behind the `%s` placeholders the projections write."""

    def __init__(self, db: sqlite3.Connection) -> None:
        super().__init__()
        self.db = db

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.db.execute(statement.replace("%s", "?"), tuple(params))

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        self.db.executemany(statement.replace("%s", "?"), [tuple(r) for r in rows])
