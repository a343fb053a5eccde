"""`casebook replay` and `casebook export` against real stores, as separate processes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra.settings import Settings
from tests.support.cli import ADMIN, CASEBOOK, YEAR, company_client
from tests.support.services import new_candidate, open_services
from tests.support.site import PROGRAMME


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest) -> Settings:
    """A SQLite file, then a PostgreSQL schema."""
    found: Settings = request.getfixturevalue(f"{request.param}_settings")
    return found


def run(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `casebook ARGS` on these settings."""
    env = {
        **os.environ,
        "CASEBOOK_DATABASE_URL": settings.database_url,
        "CASEBOOK_POSTGRES_SCHEMA": settings.postgres_schema,
        "CASEBOOK_LOG_LEVEL": "warning",
    }
    return subprocess.run(
        [*CASEBOOK, *args], env=env, capture_output=True, text=True, check=False, timeout=120
    )


def contract_with_invoice(settings: Settings) -> dict[str, Any]:
    """A contract, two placements (one ended late, after the first invoice) and two
    invoices; returns the ids and the invoices as the API shows them."""
    services = open_services(settings)
    try:
        client, staff = company_client(settings, services)
        ids = []
        for day in ("2026-01-05", "2026-02-02"):
            r = client.post(
                "/companies/13748136/placements",
                json={
                    "by": staff,
                    "candidate_id": new_candidate(client, "13748136", staff),
                    "kind": "flex_job",
                    "hours_per_week": 20,
                    "starts_on": day,
                },
            )
            ids.append(r.json()["id"])
        contract_id = client.post(
            "/contracts",
            json={
                "municipality": "165",
                "name": "VSB",
                **YEAR,
                "by": ADMIN,
                "rules": {"default_prices_ore": [100_00, 200_00, 300_00]},
            },
        ).json()["id"]
        first = client.post(f"/contracts/{contract_id}/invoices", json={**YEAR, "by": ADMIN})
        client.post(
            f"/companies/13748136/placements/{ids[0]}/end",
            json={"by": staff, "ends_on": "2026-02-01", "reason": "resigned"},
        )
        second = client.post(f"/contracts/{contract_id}/invoices", json={**YEAR, "by": ADMIN})
        invoices = [client.get(f"/invoices/{r.json()['id']}").json() for r in (first, second)]
    finally:
        services.close()
    return {"contract_id": contract_id, "invoices": invoices}


def test_replay_reproduces_each_invoice_and_prints_the_ledger(settings: Settings) -> None:
    """For an invoice's own position the replay gives its lines exactly; --json prints the
    ledger; --known-at before the contract is a one-line error."""
    made = contract_with_invoice(settings)
    contract_id = made["contract_id"]
    for issued in made["invoices"]:
        r = run(
            settings,
            "replay",
            "--contract",
            contract_id,
            "--invoice",
            issued["invoice_id"],
            "--json",
        )
        assert r.returncode == 0, r.stderr
        body = json.loads(r.stdout)
        assert body["reproduced"] is True and body["lines"] == issued["lines"]
    assert [line["kind"] for line in made["invoices"][1]["lines"]] == ["credit", "credit"]
    r = run(settings, "replay", "--contract", contract_id, "--json")
    assert r.returncode == 0, r.stderr
    states = sorted(e["state"] for e in json.loads(r.stdout)["entries"])
    assert states == ["invoiced"] * 6  # two of them credited again: invoiced_ore 0
    table = run(settings, "replay", "--contract", contract_id)
    assert table.returncode == 0 and "milestones, worth" in table.stdout
    early = run(
        settings, "replay", "--contract", contract_id, "--known-at", "2020-01-01T00:00:00+00:00"
    )
    assert early.returncode == 1
    assert early.stderr.strip().endswith("was recorded by 2020-01-01T00:00:00+00:00")


def test_export_streams_the_log_as_jsonl_and_csv(sqlite_settings: Settings) -> None:
    """Every event once, in log order; --company and --until filter; bad input is one line."""
    contract_with_invoice(sqlite_settings)
    everything = run(sqlite_settings, "export", "--format", "jsonl")
    assert everything.returncode == 0, everything.stderr
    records = [json.loads(line) for line in everything.stdout.splitlines()]
    assert [r["position"] for r in records] == sorted(r["position"] for r in records)
    assert "exported" in everything.stderr
    company = run(sqlite_settings, "export", "--format", "csv", "--company", "DK 1374 8136")
    rows = list(csv.DictReader(io.StringIO(company.stdout)))
    assert rows and all(r["topic"].startswith("casebook:Company.") for r in rows)
    assert json.loads(rows[0]["state"])["cvr"] == "13748136"
    cut = records[3]["recorded_at"]
    until = run(sqlite_settings, "export", "--until", cut)
    assert len(until.stdout.splitlines()) == 4
    bad = run(sqlite_settings, "export", "--until", "yesterday")
    assert bad.returncode == 1
    assert bad.stderr.strip() == "casebook: error: --until is not an ISO date and time: 'yesterday'"


def programme_statement(settings: Settings) -> dict[str, Any]:
    """A programme contract with 13748136 taking part and one job started in it; the
    statement as the API gave it."""
    services = open_services(settings)
    try:
        client, staff = company_client(settings, services)
        contract_id = client.post("/contracts", json={**PROGRAMME, "by": ADMIN}).json()["id"]
        r = client.post(
            f"/contracts/{contract_id}/participants", json={"cvr": "13748136", "from": "2026-02-01"}
        )
        assert r.status_code == 201, r.text
        r = client.post(
            "/companies/13748136/placements",
            json={
                "by": staff,
                "candidate_id": new_candidate(client, "13748136", staff),
                "kind": "ordinary",
                "hours_per_week": 30,
                "starts_on": "2026-02-02",
            },
        )
        assert r.status_code == 201, r.text
        r = client.get(f"/contracts/{contract_id}/effects", params={"as_of": "2026-12-01"})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
    finally:
        services.close()
    return body


def test_replay_and_export_of_an_effect_statement(settings: Settings, tmp_path: Path) -> None:
    """replay --statement reproduces a kept statement at its position (exit 3 for one
    whose figures were changed); replay --effects prints it; export --effects writes
    it as CSV and JSON."""
    kept = programme_statement(settings)
    contract_id = kept["contract_id"]
    saved = tmp_path / "effektopgoerelse.json"
    saved.write_text(json.dumps(kept), encoding="utf-8")
    r = run(settings, "replay", "--contract", contract_id, "--statement", str(saved))
    assert r.returncode == 0, r.stderr
    assert "reproduced exactly" in r.stdout and kept["digest"] in r.stdout
    changed = tmp_path / "changed.json"
    changed.write_text(
        json.dumps({**kept, "totals": {**kept["totals"], "amount_ore": 1}}), encoding="utf-8"
    )
    r = run(settings, "replay", "--contract", contract_id, "--statement", str(changed))
    assert r.returncode == 3 and "DIFFERS" in r.stdout
    args = ("--as-of", kept["as_of"], "--position", str(kept["position"]))
    r = run(settings, "replay", "--contract", contract_id, "--effects", *args, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == kept
    table = run(settings, "replay", "--contract", contract_id, "--effects", *args)
    assert table.returncode == 0 and "1 jobs started, 1 durable (26_weeks)" in table.stdout
    r = run(settings, "export", "--effects", contract_id, "--format", "csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["cvr"] for row in rows] == ["13748136", "total"]
    r = run(settings, "export", "--effects", contract_id)
    assert r.returncode == 0 and json.loads(r.stdout)["contract_id"] == contract_id
    bad = run(settings, "replay", "--contract", contract_id, "--effects", "--as-of", "1.12.2026")
    assert bad.returncode == 1 and "--as-of is not an ISO date" in bad.stderr
