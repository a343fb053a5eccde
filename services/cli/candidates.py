"""`casebook reindex-candidates`: enter every candidate with personal data in the CPR
blind index again, under the index key set now (after an upgrade from a release without
the index, or a change of CASEBOOK_CANDIDATE_INDEX_KEY). Erased candidates are left
out, and an erasure that happens while it runs takes the new entry away again; each
candidate's entry is replaced (removed, then entered), so a rerun is harmless."""

from __future__ import annotations

from uuid import UUID

import typer

from domain.candidate import Candidate, normalise_cpr
from infra.vault import SealError, Vault, unseal
from services.cli.common import CliError, console, progress
from services.cli.common import stores as opened_stores
from services.eventstore import CasebookApplication, open_vault
from services.read.generations import prefix_of


def reindex_candidates() -> None:
    """Enter every candidate not erased in the CPR blind index (progress shown)."""
    with opened_stores() as (app, views, settings):
        active = views.active_generation("candidates")
        if active is None:
            raise CliError("the candidates read model is not built yet: run `casebook migrate`")
        rows = views.query(
            f"SELECT candidate_id, municipality FROM {prefix_of('candidates', active[0])}"
            "candidates WHERE erased_on IS NULL ORDER BY candidate_id"
        )
        vault = open_vault(settings, app)
        indexed = 0
        with progress("indexing candidates' CPR numbers", len(rows)) as report:
            for done, (cid, municipality) in enumerate(rows, 1):
                indexed += _reindex(app, vault, UUID(str(cid)), str(municipality))
                report(done)
        skipped = len(rows) - indexed
        console.print(f"{indexed} candidates indexed, {skipped} without personal data left out")


def _reindex(app: CasebookApplication, vault: Vault, candidate_id: UUID, municipality: str) -> int:
    """Enter one candidate again (1), or leave them out (0): erased, or no data."""
    candidate = app.find(candidate_id, Candidate)
    try:
        key = vault.key(candidate_id)
    except SealError as error:
        raise CliError(
            f"{error}: is CASEBOOK_CANDIDATE_KEK the one they were sealed with?"
        ) from error
    if candidate is None or candidate.erased or key is None:
        return 0
    try:
        cpr = normalise_cpr(str(unseal(key, candidate_id, candidate.sealed)["cpr"]))
    except (SealError, KeyError, ValueError):
        return 0
    vault.index.remove(candidate_id)
    vault.index_cpr(candidate_id, municipality, cpr)
    if vault.key(candidate_id) is None:  # erased meanwhile: the entry goes too
        vault.index.remove(candidate_id)
        return 0
    return 1


def register(cli: typer.Typer) -> None:
    cli.command("reindex-candidates")(reindex_candidates)
