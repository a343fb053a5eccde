"""The auditor's commands: `casebook verify`, `replay` and `export`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

from services.audit.ledger import evaluate_contract, find_invoice
from services.audit.ledger_json import ledger_body
from services.audit.verify import EXIT_BITS, Finding, verify_stored
from services.cli.audit_effects import (
    check_statement,
    day,
    kr,
    print_statement,
    statement,
)
from services.cli.common import CliError, progress, stores
from services.cli.export import aware, export_command
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
    effects: Annotated[
        bool, typer.Option("--effects", help="Print the programme's effect statement instead.")
    ] = False,
    kept: Annotated[
        Path | None,
        typer.Option(
            "--statement",
            help="Recompute this effect statement's JSON at its own position and compare.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    position: Annotated[
        int | None, typer.Option(help="With --effects: at this sealed log position.")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(help="With --effects: the statement's day (default today).")
    ] = None,
    from_: Annotated[
        str | None, typer.Option("--from", help="With --effects: the period's first day.")
    ] = None,
    to: Annotated[str | None, typer.Option(help="With --effects: the period's last day.")] = None,
    since: Annotated[
        int | None,
        typer.Option(help="With --effects: also what changed since this earlier position."),
    ] = None,
) -> None:
    """Recompute a contract's ledger (or effect statement) from the log alone and print it.

    Exit status 3: the invoice's or kept statement's figures are not reproduced.
    """
    if kept is not None:
        check_statement(out, contract, kept)
        return
    if effects:
        body = statement(
            contract,
            period=(day("--from", from_), day("--to", to)),
            today=day("--as-of", as_of),
            position=position,
            since=since,
        )
        print_statement(out, body, as_json)
        return
    known = aware("--known-at", known_at)
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
            kr(e["amount_ore"]),
            kr(e["invoiced_ore"]),
            " ".join(e["proof"]),
        )
    out.print(table)
    total = sum(e["amount_ore"] for e in body["entries"])
    out.print(f"{len(body['entries'])} milestones, worth {kr(total)} kr")


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
            f"{kr(sum(int(line['amount_ore']) for line in lines))} kr"
        )
        out.print("reproduced exactly" if same else "DIFFERS from the invoice's lines")
    if not same:
        raise typer.Exit(MISMATCH)


def register(cli: typer.Typer) -> None:
    """Add the auditor's commands to the `casebook` command line."""
    cli.command("verify")(verify_command)
    cli.command("replay")(replay_command)
    cli.command("export")(export_command)
