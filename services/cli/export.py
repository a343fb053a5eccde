"""`casebook export`: the log, or a programme's effect statement, to stdout for auditors."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

import typer

from domain.values import company_id, normalise_cvr
from services.cli.audit_effects import export_statement
from services.cli.common import CliError, console, progress, stores


def aware(option: str, value: str | None) -> datetime | None:
    """An ISO moment with a UTC offset from an option, or a one-line error."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"{option} is not an ISO date and time: {value!r}") from None
    if parsed.tzinfo is None:
        raise CliError(f"{option} needs a UTC offset, e.g. 2026-06-30T12:00:00+02:00")
    return parsed


class Format(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


COLUMNS = ("position", "originator_id", "originator_version", "topic", "recorded_at", "state")


def export_command(
    format_: Annotated[Format, typer.Option("--format", help="jsonl or csv.")] = Format.JSONL,
    company: Annotated[str | None, typer.Option(help="Only this company's stream (CVR).")] = None,
    until: Annotated[
        str | None, typer.Option(help="Only events recorded by then (ISO, with offset).")
    ] = None,
    effects: Annotated[
        UUID | None,
        typer.Option(
            help="Write this programme contract's effect statement (csv, or jsonl: one "
            "JSON line) at the sealed log's end instead of the log."
        ),
    ] = None,
) -> None:
    """Stream the log to stdout for auditors, one record per event in log order.

    Each record holds the event's stored state exactly as recorded (the input of
    `verify`'s hashes); the whole log is never loaded at once.
    """
    if effects is not None:
        if company is not None or until is not None:
            raise CliError("--effects takes neither --company nor --until")
        sys.stdout.write(export_statement(effects, format_ is Format.CSV))
        return
    last = aware("--until", until)
    stream = str(company_id(normalise_cvr(company))) if company else None
    writer = csv.writer(sys.stdout) if format_ is Format.CSV else None
    if writer is not None:
        writer.writerow(COLUMNS)
    count = 0
    with stores() as (app, _, _settings), progress("exporting", app.last_position()) as report:
        for n in app.log_after(0):
            if n.id % 5000 == 0:
                report(n.id)
            if stream is not None and str(n.originator_id) != stream:
                continue
            state = n.state.decode(errors="replace")
            recorded = _recorded_at(state)
            if (
                last is not None
                and recorded is not None
                and datetime.fromisoformat(recorded) > last
            ):
                continue
            row = (n.id, str(n.originator_id), n.originator_version, n.topic, recorded, state)
            if writer is not None:
                writer.writerow(row)
            else:
                sys.stdout.write(
                    json.dumps(dict(zip(COLUMNS, row, strict=True)), ensure_ascii=False) + "\n"
                )
            count += 1
    console.print(f"exported {count} events")


def _recorded_at(state: str) -> str | None:
    """The recording time in a stored state (None if it cannot be read: still exported)."""
    try:
        return str(json.loads(state)["timestamp"]["_data_"])
    except (ValueError, KeyError, TypeError):
        return None
