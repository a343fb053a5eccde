"""The auditor's commands: `casebook verify`, `replay` and `export`."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

from domain.values import company_id, normalise_cvr
from services.audit.ledger import evaluate_contract, find_invoice
from services.audit.ledger_json import ledger_body
from services.audit.verify import EXIT_BITS, Finding, verify_stored
from services.cli.common import CliError, console, progress, stores
from services.eventstore import CasebookApplication

out = Console(soft_wrap=True, highlight=False)
MISMATCH = 3  # replay: the recomputed lines differ from the invoice's
MAX_LISTED = 50


def verify_command(
    invoice: Annotated[
        UUID | None, typer.Option(help="Also check the digest this invoice pinned against the log.")
    ] = None,
    at: Annotated[
        int | None,
        typer.Option(help="A log position whose digest you hold elsewhere (with --digest)."),
    ] = None,
    digest: Annotated[
        str | None, typer.Option(help="The digest expected at --at, e.g. from an invoice sent out.")
    ] = None,
) -> None:
    """Recompute every stream's hash chain and the log digest, and compare with the seal.

    Exit status: 0 verified; 1 could not run; otherwise 64 plus a bit per kind found:
    1 changed, 2 removed, 4 reordered, 8 inserted, 16 seal broken, 32 digest mismatch.
    """
    if (at is None) != (digest is None):
        raise CliError("--at and --digest go together")
    with stores() as (app, views, settings):
        pins: dict[int, tuple[str, str]] = {}
        if invoice is not None:
            _, event = find_invoice(app, invoice)
            pins[event.position] = (event.digest, f"invoice {invoice}")
        if at is not None and digest is not None:
            pins[at] = (digest.lower(), "--digest")
        with progress("verifying", app.last_position()) as advance:
            report = verify_stored(settings, app, views, pins=list(pins), progress=advance)
    for position, (expected, source) in pins.items():
        if report.pins[position] != expected:
            report.findings.append(
                Finding(
                    "digest_mismatch",
                    position,
                    (
                        f"the log's digest at {position} is {report.pins[position]}, "
                        f"{source} pinned {expected}"
                    ),
                )
            )
    for f in report.findings[:MAX_LISTED]:
        out.print(f"{f.kind:<16} {f.position:>10}  {f.detail}")
    if len(report.findings) > MAX_LISTED:
        out.print(f"... and {len(report.findings) - MAX_LISTED} more")
    if report.findings:
        counts = {k: sum(f.kind == k for f in report.findings) for k in EXIT_BITS}
        found = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items() if n)
        out.print(
            f"NOT verified: {found} (log: {report.events} events up to position "
            f"{report.position}; sealed up to {report.sealed_position})"
        )
        raise typer.Exit(report.exit_status)
    out.print(
        f"verified {report.events} events up to position {report.position}, digest {report.digest}"
    )
    if report.unsealed:
        out.print(
            f"({report.unsealed} events after position {report.sealed_position} are "
            "not sealed yet: `casebook project` seals them)"
        )
    for position, (expected, source) in pins.items():
        out.print(f"{source}: digest at position {position} matches ({expected})")


def replay_command(
    contract: Annotated[UUID, typer.Option(help="The outcome contract's id.")],
    known_at: Annotated[
        str | None,
        typer.Option(help="Recording time: the ledger as it was known then (ISO, with offset)."),
    ] = None,
    invoice: Annotated[
        UUID | None,
        typer.Option(help="Recompute this invoice at its own log position and compare its lines."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Recompute a contract's ledger from the log alone and print it."""
    known = _aware("--known-at", known_at)
    with stores() as (app, _, _settings):
        if invoice is not None:
            _replay_invoice(app, contract, invoice, as_json)
            return
        with progress("replaying", app.last_position()) as advance:
            evaluation = evaluate_contract(app, contract, known_at=known, progress=advance)
    body = ledger_body(
        evaluation.contract,
        evaluation.position,
        evaluation.today,
        evaluation.entries(),
        known.isoformat() if known else None,
    )
    if as_json:
        out.print_json(json.dumps(body))
        return
    table = Table(
        title=f"{body['name']} ({body['municipality']}), as of {body['as_of']}, "
        f"log position {body['position']}"
    )
    for column in (
        "milestone",
        "state",
        "cvr",
        "candidate",
        "reached",
        "amount kr",
        "invoiced kr",
        "proof",
    ):
        table.add_column(column)
    for e in body["entries"]:
        table.add_row(
            e["milestone"],
            e["state"],
            e["cvr"],
            e["candidate_id"],
            e["reached_on"] or "-",
            _kr(e["amount_ore"]),
            _kr(e["invoiced_ore"]),
            " ".join(e["proof"]),
        )
    out.print(table)
    total = sum(e["amount_ore"] for e in body["entries"])
    out.print(f"{len(body['entries'])} milestones, worth {_kr(total)} kr")


def _aware(option: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"{option} is not an ISO date and time: {value!r}") from None
    if parsed.tzinfo is None:
        raise CliError(f"{option} needs a UTC offset, e.g. 2026-06-30T12:00:00+02:00")
    return parsed


def _kr(ore: int) -> str:
    return f"{ore / 100:,.2f}" if ore % 100 else f"{ore // 100:,}"


def _replay_invoice(app: CasebookApplication, contract: UUID, invoice: UUID, as_json: bool) -> None:
    _, event = find_invoice(app, invoice)
    if event.originator_id != contract:
        raise CliError(f"invoice {invoice} belongs to contract {event.originator_id}")
    evaluation = evaluate_contract(app, contract, stop=event.position, today=event.computed_on)
    lines = evaluation.invoice_lines((event.period_from, event.period_to))
    same = lines == event.lines
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "invoice_id": str(invoice),
                    "position": event.position,
                    "reproduced": same,
                    "lines": lines,
                }
            )
        )
    else:
        out.print(
            f"invoice {invoice}: recomputed at position {event.position} "
            f"(as of {event.computed_on.isoformat()}): {len(lines)} lines, "
            f"{_kr(sum(int(line['amount_ore']) for line in lines))} kr"
        )
        out.print("reproduced exactly" if same else "DIFFERS from the invoice's lines")
    if not same:
        raise typer.Exit(MISMATCH)


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
) -> None:
    """Stream the log to stdout for auditors, one record per event in log order.

    Each record holds the event's stored state exactly as recorded (the input of
    `verify`'s hashes); the whole log is never loaded at once.
    """
    last = _aware("--until", until)
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


def register(cli: typer.Typer) -> None:
    """Add the auditor's commands to the `casebook` command line."""
    cli.command("verify")(verify_command)
    cli.command("replay")(replay_command)
    cli.command("export")(export_command)
