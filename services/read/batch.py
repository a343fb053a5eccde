"""A batch's writes, folded in memory and sent set-based at the end of the batch.

A projection's statements each write one table, named after INSERT INTO,
UPDATE or DELETE FROM, and read nothing else; so only the order within a
table matters. On a table whose primary key is known, an `INSERT` is held as a
row, and an `UPDATE ... SET c = %s, ... WHERE <key> = %s` changes the held row
in place, or, for a row of an earlier batch, is merged with the other updates
of that row (later values win). A counter's `UPDATE ... SET n = n + %s WHERE
<key> = %s` is added to the held row or to a value the batch sets, else summed
with the row's other increments. At the end of the batch each table gets one
`executemany` per set of updated columns, one per set of incremented columns,
and one COPY (PostgreSQL) or `executemany` (SQLite) of its new rows. Any other
statement first sends what its table holds, then runs as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from projections.base import Projection, Sql

_INSERT = re.compile(r"^INSERT INTO (\w+) \(([\w, ]+)\) VALUES \((?:%s, )*%s\)$")
_UPDATE = re.compile(r"^UPDATE (\w+) SET ((?:\w+ = %s, )*\w+ = %s) WHERE (\w+) = %s$")
_INCREMENT = re.compile(
    r"^UPDATE (\w+) SET ((?:(\w+) = \3 \+ %s, )*(\w+) = \4 \+ %s) WHERE (\w+) = %s$"
)
_WRITE = re.compile(r"^(?:INSERT INTO|UPDATE|DELETE FROM) (\w+)")
_KEY = re.compile(r"CREATE TABLE IF NOT EXISTS \{t\}(\w+) \((\w+) \w+ PRIMARY KEY")
COPY_FROM = 16  # rows from which a COPY beats an executemany


class Copier(Protocol):
    """A cursor that can COPY rows into a table (PostgreSQL)."""

    def copy_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None: ...


def primary_keys(projection: Projection) -> dict[str, str]:
    """Physical table -> its primary-key column, from the projection's DDL."""
    return {
        projection.t(m.group(1)): m.group(2)
        for m in (_KEY.search(s) for s in projection.tables)
        if m
    }


@dataclass
class _Table:
    key: str
    columns: list[str] = field(default_factory=list)  # the INSERT's, then updated ones
    at: dict[str, int] = field(default_factory=dict)  # column -> index in a held row
    insert: str = ""
    rows: dict[Any, list[Any]] = field(default_factory=dict)
    updates: dict[Any, dict[str, Any]] = field(default_factory=dict)
    increments: dict[Any, dict[str, Any]] = field(default_factory=dict)  # of earlier rows


class BatchSql:
    """The `Sql` a projection writes a batch through; `flush` sends it (see module)."""

    def __init__(self, sql: Sql, keys: dict[str, str]) -> None:
        self._sql = sql
        self._keys = keys
        self._tables: dict[str, _Table] = {}
        self._parsed: dict[str, Any] = {}

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        parsed = self._parsed.get(statement)
        if parsed is None:
            parsed = self._parsed[statement] = self._parse(statement)
        kind, table_name = parsed[0], parsed[1]
        table = self._tables.get(table_name) if kind != "other" else None
        if table is None and kind != "other":
            table = self._tables[table_name] = _Table(self._keys[table_name])
        if kind == "insert" and table is not None:
            self._insert(table, table_name, statement, parsed[2], parsed[3], params)
        elif kind == "update" and table is not None:
            self._update(table, table_name, statement, parsed[2], params)
        elif kind == "increment" and table is not None:
            self._increment(table, parsed[2], params)
        else:
            if table_name is not None:
                self._flush_table(table_name)
            else:
                self.flush()
            self._sql.execute(statement, params)

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        for row in rows:
            self.execute(statement, row)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._sql.fetchall()

    def flush(self) -> None:
        """Send everything held, table by table."""
        for name in list(self._tables):
            self._flush_table(name)

    def _parse(self, statement: str) -> tuple[Any, ...]:
        match = _INSERT.match(statement)
        if match and match.group(1) in self._keys:
            columns = tuple(c.strip() for c in match.group(2).split(","))
            if self._keys[match.group(1)] in columns:
                return (
                    "insert",
                    match.group(1),
                    columns,
                    columns.index(self._keys[match.group(1)]),
                )
        match = _UPDATE.match(statement)
        if match and self._keys.get(match.group(1)) == match.group(3):
            columns = tuple(a.split(" = ")[0] for a in match.group(2).split(", "))
            return ("update", match.group(1), columns)
        match = _INCREMENT.match(statement)
        if match and self._keys.get(match.group(1)) == match.group(5):
            columns = tuple(a.split(" = ")[0] for a in match.group(2).split(", "))
            return ("increment", match.group(1), columns)
        write = _WRITE.match(statement)
        return ("other", write.group(1) if write else None)

    def _insert(
        self,
        table: _Table,
        name: str,
        statement: str,
        columns: tuple[str, ...],
        key_at: int,
        params: Sequence[Any],
    ) -> None:
        key = params[key_at]
        if (
            key in table.rows
            or key in table.updates
            or key in table.increments
            or (table.insert and statement != table.insert)
        ):
            self._flush_table(name)  # keep this table's order exact in the rare case
            table = self._tables[name] = _Table(table.key)
        if not table.insert:
            table.insert, table.columns = statement, list(columns)
            table.at = {c: i for i, c in enumerate(columns)}
        table.rows[key] = list(params)

    def _update(
        self,
        table: _Table,
        name: str,
        statement: str,
        columns: tuple[str, ...],
        params: Sequence[Any],
    ) -> None:
        key = params[-1]
        row = table.rows.get(key)
        if row is not None:  # held: the new row is inserted with these values
            for column, value in zip(columns, params, strict=False):
                at = table.at.get(column)
                if at is None:
                    at = table.at[column] = len(table.columns)
                    table.columns.append(column)
                row.extend([None] * (at + 1 - len(row)))
                row[at] = value
            return
        table.updates.setdefault(key, {}).update(zip(columns, params, strict=False))
        pending = table.increments.get(key)
        if pending:
            for column in columns:
                pending.pop(column, None)  # the value set wins over earlier increments

    def _increment(self, table: _Table, columns: tuple[str, ...], params: Sequence[Any]) -> None:
        """Add to counters: in the held row, or to a value this batch sets, or summed
        with the row's other increments."""
        key = params[-1]
        row, values = table.rows.get(key), table.updates.get(key, {})
        for column, delta in zip(columns, params, strict=False):
            if row is not None:
                at = table.at.get(column)
                if at is not None and at < len(row):  # else NULL, and NULL + n is NULL
                    row[at] = _plus(row[at], delta)
            elif column in values:
                values[column] = _plus(values[column], delta)
            else:
                counts = table.increments.setdefault(key, {})
                counts[column] = counts.get(column, 0) + delta

    def _flush_table(self, name: str) -> None:
        table = self._tables.pop(name, None)
        if table is None:
            return
        groups: dict[tuple[str, ...], list[list[Any]]] = {}
        for key, values in table.updates.items():
            groups.setdefault(tuple(values), []).append([*values.values(), key])
        for updated, changes in groups.items():
            sets = ", ".join(f"{c} = %s" for c in updated)
            self._sql.executemany(f"UPDATE {name} SET {sets} WHERE {table.key} = %s", changes)
        sums: dict[tuple[str, ...], list[list[Any]]] = {}
        for key, counts in table.increments.items():
            if counts:
                sums.setdefault(tuple(counts), []).append([*counts.values(), key])
        for counted, deltas in sums.items():
            adds = ", ".join(f"{c} = {c} + %s" for c in counted)
            self._sql.executemany(f"UPDATE {name} SET {adds} WHERE {table.key} = %s", deltas)
        if not table.rows:
            return
        # Columns a row does not set are NULL, as the INSERT would have left them (the
        # projections' tables have no defaults).
        columns, width = table.columns, len(table.columns)
        rows = [
            row if len(row) == width else row + [None] * (width - len(row))
            for row in table.rows.values()
        ]
        if len(rows) >= COPY_FROM and hasattr(self._sql, "copy_rows"):
            copier: Copier = self._sql  # type: ignore[assignment]
            copier.copy_rows(name, columns, rows)
            return
        insert = (
            f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
        )
        if len(rows) == 1:
            self._sql.execute(insert, rows[0])
        else:
            self._sql.executemany(insert, rows)


def _plus(value: Any, delta: Any) -> Any:
    """`value + delta` as SQL adds: NULL stays NULL."""
    return None if value is None else value + delta


class RecordedSql:
    """A `Sql` that only records what is sent to it, to be sent later (`replay`), e.g.
    by another thread while this one works on the next batch. Nothing can be read."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.calls.append(("execute", (statement, tuple(params))))

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        self.calls.append(("executemany", (statement, [tuple(r) for r in rows])))

    def fetchall(self) -> list[tuple[Any, ...]]:
        raise TypeError("nothing can be read from a RecordedSql")

    def replay(self, sql: Sql) -> None:
        """Send what was recorded, in order."""
        for name, args in self.calls:
            getattr(sql, name)(*args)


class RecordedCopies(RecordedSql):
    """A RecordedSql for a database that takes COPY (see `Copier`)."""

    def copy_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.calls.append(("copy_rows", (table, list(columns), rows)))
