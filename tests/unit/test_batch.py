"""A batch's writes folded in memory: fewer statements, the same rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.batch import BatchSql

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
    assert db.sent == [("INSERT INTO t_rows (id, a, b, c) VALUES (%s, %s, %s, %s)",
                        [["k1", 10, "x", "c"], ["k2", 2, "y", None]])]


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
    assert db.sent == [(INSERT, [["k1", 1, "x"]]),
                       ("DELETE FROM t_rows WHERE a > %s", [[0]])]
