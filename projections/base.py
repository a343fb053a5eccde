"""What every read model has: its tables, and a handler per event it cares about.

A projection never reads aggregates: it works from the events alone, writing
through `Sql` (a cursor of the view's own transaction, in which the runner
also records the projection's tracking position).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from types import MethodType
from typing import Any, ClassVar, Protocol
from uuid import UUID

BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}


class Sql(Protocol):
    """The view transaction's cursor: `%s` placeholders on every database."""

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None: ...

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def fetchall(self) -> list[tuple[Any, ...]]: ...


Handler = Callable[[Any, Any, int, Sql], None]
Statement = tuple[str, Sequence[Any]]
"""A statement and its parameters."""
Rows = list[list[tuple[Any, ...]]]
"""The rows of each of several statements, in order."""
SUMMARY_IDS = 1000  # aggregates per statement that counts a summary again


@dataclasses.dataclass(frozen=True)
class Summary:
    """Counts a read model keeps per aggregate so that a read sums a few rows instead of
    counting many, derived from the read model's own tables by one query.

    After each batch, the summary rows of every aggregate that the batch's events of
    `kinds` touched are counted again from the tables (`Projection.refresh`), in the
    batch's transaction; a rebuild fills the table whole after its bulk load
    (`Projection.fill`). Being a function of the tables, a summary is exactly what a
    rebuild gives, and an event need not carry what it undoes (a completed follow-up
    does not say when it was due)."""

    table: str  # its table, created by one of the projection's `tables`
    column: str  # the aggregate's id, in the summary and in the tables it counts
    kinds: frozenset[str]  # the events that change what it counts
    select: str  # its rows: a SELECT ... WHERE ... with {t} for the prefix and {where}
    # where the aggregates' condition goes (" AND <column> IN (...)"; nothing when whole)


class Projection:
    """Base of read models: `tables` DDL (with `{t}` for the table prefix) and handlers."""

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]
    handlers: ClassVar[dict[str, Handler]]
    summaries: ClassVar[tuple[Summary, ...]] = ()
    # Columns a later release added to a table of an existing generation: (table, column,
    # type); `migrate` adds them where missing (old rows hold NULL there).
    added_columns: ClassVar[tuple[tuple[str, str, str], ...]] = ()

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix  # e.g. "view_timeline_g1_"

    def t(self, table: str) -> str:
        """The physical name of one of this projection's tables."""
        return f"{self.prefix}{table}"

    @classmethod
    def table_names(cls) -> list[str]:
        """The tables (without prefix) this projection creates."""
        return [
            m.group(1)
            for m in (re.search(r"CREATE TABLE IF NOT EXISTS \{t\}(\w+)", s) for s in cls.tables)
            if m
        ]

    def ddl(self) -> list[str]:
        """CREATE statements for this generation's tables."""
        return [statement.format(t=self.prefix) for statement in self.tables]

    def fill(self, summary: Summary) -> str:
        """The statement that fills a summary whole from the tables (a rebuild's, after
        its bulk load, into the empty table)."""
        return f"INSERT INTO {self.t(summary.table)} " + summary.select.format(
            t=self.prefix, where=""
        )

    def refresh(self, events: Iterable[Any]) -> list[Statement]:
        """The statements that count the summaries again for the aggregates that
        `events` (a batch, already applied) touched; none if no summary is touched."""
        if not self.summaries:  # (every batch of every read model asks)
            return []
        batch = list(events)
        statements: list[Statement] = []
        for summary in self.summaries:
            touched = sorted(
                {str(e.originator_id) for e in batch if _kind_of(e.__class__) in summary.kinds}
            )
            for start in range(0, len(touched), SUMMARY_IDS):  # within any driver's limit
                ids = tuple(touched[start : start + SUMMARY_IDS])
                among = f"{summary.column} IN ({', '.join(['%s'] * len(ids))})"
                statements += [
                    (f"DELETE FROM {self.t(summary.table)} WHERE {among}", ids),
                    (
                        f"INSERT INTO {self.t(summary.table)} "
                        + summary.select.format(t=self.prefix, where=f" AND {among}"),
                        ids,
                    ),
                ]
        return statements

    def recount(self, summary: Summary) -> list[str]:
        """The statements that count a summary again whole."""
        return [f"DELETE FROM {self.t(summary.table)}", self.fill(summary)]

    def wants(self, cls: type) -> bool:
        """Whether events of this class change this read model."""
        return event_kind(cls) in self.handlers

    def process(self, event: Any, position: int, sql: Sql) -> None:
        """Apply one event (events this projection ignores are skipped)."""
        handler = self.handlers.get(_kind_of(event.__class__))
        if handler is not None:
            handler(self, event, position, sql)

    def handler_for(self, cls: type) -> Callable[[Any, int, Sql], None] | None:
        """What applies an event of this class (as `process` does), None if this read
        model ignores them: for a rebuild, which looks it up once per class."""
        handler = self.handlers.get(_kind_of(cls))
        return None if handler is None else MethodType(handler, self)


def among(column: str, values: Sequence[str]) -> tuple[str, list[str]]:
    """`column IN (...)` and its parameters, for a read's WHERE; no values match nothing."""
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def on(*kinds: str) -> Callable[[Handler], Handler]:
    """Mark a method as the handler of these event kinds (see `collect_handlers`)."""

    def mark(method: Handler) -> Handler:
        method.__dict__["kinds"] = kinds
        return method

    return mark


def collect_handlers(cls: type[Projection]) -> type[Projection]:
    """Class decorator: build `handlers` from the methods marked with `on`."""
    cls.handlers = {
        kind: method for method in vars(cls).values() for kind in getattr(method, "kinds", ())
    }
    return cls


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def event_kind(event: Any) -> str:
    """`company.contact_logged` for Company.ContactLogged (from the stable topic)."""
    return _kind_of(event if isinstance(event, type) else type(event))


@functools.cache
def _kind_of(cls: Any) -> str:
    topic: str = cls.TOPIC
    aggregate, name = topic.removeprefix("casebook:").split(".", 1)
    return f"{_CAMEL.sub('_', aggregate).lower()}.{_CAMEL.sub('_', name).lower()}"


@functools.cache
def own_fields(cls: Any) -> tuple[str, ...]:
    """The event class's own fields (not the library's)."""
    return tuple(f.name for f in dataclasses.fields(cls) if f.name not in BASE_FIELDS)


def plain(value: Any) -> Any:
    """A JSON-ready copy: ids and dates as strings (a rebuild decodes them as their text
    already: `services/logdecode.py`)."""
    if value is None or isinstance(value, str | int):
        return value
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def json_default(value: Any) -> Any:
    """JSON for what the json module does not know: ids and dates as their ISO text; any
    other type is refused (it has no place in an event)."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def utc_text(moment: datetime | str) -> str:
    """A datetime's ISO 8601 text in UTC, so that text order is time order whatever the
    offset it was given with. `moment` may be the datetime's ISO text, as a rebuild
    decodes it (`isoformat`'s, so text already in UTC is the answer itself)."""
    if isinstance(moment, str):
        if moment.endswith("+00:00"):
            return moment
        moment = datetime.fromisoformat(moment)
    return (moment if moment.tzinfo is UTC else moment.astimezone(UTC)).isoformat()


def business_text(value: date | datetime | str) -> str:
    """A business time's ISO 8601 text: a date's as it is, a datetime's in UTC (either
    may be its ISO text already, as a rebuild decodes it: a date's has no "T")."""
    if isinstance(value, str):
        return utc_text(value) if "T" in value else value
    return utc_text(value) if isinstance(value, datetime) else value.isoformat()


def fields_of(event: Any) -> dict[str, Any]:
    """The event's own fields (not the library's), JSON-ready."""
    values = event.__dict__
    cls: Any = type(event)
    return {
        name: plain(values[name] if name in values else getattr(event, name))
        for name in own_fields(cls)
    }


def as_json(value: dict[str, Any]) -> str:
    """Compact JSON for a text column."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
