"""The effect statement on the command line: `casebook replay --effects` prints it (at a
sealed position and day, for a period), `replay --statement FILE` checks a statement
kept from before against the log, and `export --effects` writes it as CSV or JSON."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

from services.audit.effects import effects_body, effects_csv
from services.cli.common import CliError, stores

MISMATCH = 3  # the recomputed statement differs from the one kept


def day(option: str, value: str | None) -> date | None:
    """An ISO date from an option, or a one-line error."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CliError(f"{option} is not an ISO date (YYYY-MM-DD): {value!r}") from None


def statement(
    contract: UUID,
    *,
    period: tuple[date | None, date | None] = (None, None),
    today: date | None = None,
    position: int | None = None,
    since: int | None = None,
) -> dict[str, Any]:
    """The statement recomputed from the log, as `GET /contracts/{id}/effects` gives it."""
    with stores() as (app, views, settings):
        return effects_body(
            app,
            views,
            contract,
            period=period,
            today=today or date.today(),
            position=position,
            postgres=settings.backend == "postgres",
            since=since,
        )


def print_statement(out: Console, body: dict[str, Any], as_json: bool) -> None:
    """The statement as JSON, or as a table per company and its totals."""
    if as_json:
        out.print_json(json.dumps(body))
        return
    table = Table(
        title=f"{body['name']} ({body['municipality']}), {body['from']}..{body['to']}, "
        f"as of {body['as_of']}, log position {body['position']}"
    )
    for column in ("cvr", "started", "internships", "durable", "baseline", "above", "amount kr"):
        table.add_column(column)
    for c in body["companies"]:
        table.add_row(
            c["cvr"],
            str(c["placements_started"]),
            str(c["internships"]),
            str(c["durable_jobs"]),
            "-" if c["baseline"] is None else str(c["baseline"]),
            str(c["above_baseline"]),
            kr(c["amount_ore"]),
        )
    out.print(table)
    t = body["totals"]
    per_durable = t["cost_per_durable_job_ore"]
    out.print(
        f"{t['placements_started']} jobs started, {t['durable_jobs']} durable "
        f"({body['durable_milestone']}), {kr(t['amount_ore'])} kr; cost per durable job "
        f"{'-' if per_durable is None else kr(per_durable) + ' kr'}; digest {body['digest']}"
    )
    for line in body.get("changes", {}).get("lines", []):
        out.print(
            f"changed since {body['changes']['since']}: {line['cvr']} {line['figure']} "
            f"{line['was']} -> {line['now']} ({line['change']:+d})"
        )


def check_statement(out: Console, contract: UUID, kept: Path) -> None:
    """Recompute a statement kept from before at its own position, day and period, and
    say whether every figure is the same (exit MISMATCH otherwise)."""
    try:
        body = json.loads(kept.read_text(encoding="utf-8"))
        pinned = (body["position"], body["as_of"], body["from"], body["to"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise CliError(f"{kept} is not an effect statement's JSON: {e}") from None
    if body.get("contract_id") != str(contract):
        raise CliError(f"{kept} is the statement of contract {body.get('contract_id')}")
    again = statement(
        contract,
        period=(date.fromisoformat(pinned[2]), date.fromisoformat(pinned[3])),
        today=date.fromisoformat(pinned[1]),
        position=int(pinned[0]),
        since=body["changes"]["since"] if "changes" in body else None,
    )
    same = again == body
    out.print(
        f"statement of {pinned[2]}..{pinned[3]} as of {pinned[1]}: recomputed at position "
        f"{pinned[0]}, digest {again['digest']}"
    )
    out.print("reproduced exactly" if same else "DIFFERS from the statement kept")
    if not same:
        raise typer.Exit(MISMATCH)


def export_statement(contract: UUID, as_csv: bool) -> str:
    """The current statement (pinned to the sealed log's end) as CSV or one JSON line."""
    body = statement(contract)
    return effects_csv(body) if as_csv else json.dumps(body, ensure_ascii=False) + "\n"


def kr(ore: int) -> str:
    """Øre as kroner, with øre only when there are some."""
    return f"{ore / 100:,.2f}" if ore % 100 else f"{ore // 100:,}"
