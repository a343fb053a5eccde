"""The candidate commands as the API's routes and the web app's forms run them:
register (seal, index the CPR number, record) and erase (record, destroy key and
index entry)."""

from __future__ import annotations

from uuid import UUID, uuid4

from fastapi.concurrency import run_in_threadpool

from domain.candidate import normalise_cpr
from domain.errors import CandidateErasedError
from infra.vault import seal
from services.api import schemas as s
from services.api.candidate_data import PersonalData
from services.audit.holds import legal_holds
from services.http.commands import CommandAnswer, CommandContext
from services.http.container import Services
from services.write import candidates as use


class RegisterCandidate(PersonalData, s.Body):
    municipality: s.MunicipalityCode
    by: s.By = None


class Erase(s.Body):
    by: s.By = None


async def register(ctx: CommandContext, body: RegisterCandidate, by: UUID) -> CommandAnswer:
    """Seal the body's personal data under a new key, index the CPR number and record
    the registration (the API's route and the web app's form)."""
    data = PersonalData.model_validate(body.model_dump(exclude={"municipality", "by"}))
    data.cpr = normalise_cpr(data.cpr)
    new_id = uuid4()
    vault = ctx.services.vault
    key = await run_in_threadpool(vault.new_key, new_id)
    sealed = seal(key, new_id, data.model_dump(mode="json"))
    try:
        # Indexed before the event is written, as the key is made: a failed command
        # destroys both.
        await run_in_threadpool(vault.index_cpr, new_id, body.municipality, data.cpr)
        answer = await ctx.run(
            lambda claim, version: use.register(
                candidate_id=new_id,
                municipality=body.municipality,
                sealed=sealed,
                by=by,
                claim=claim,
                expected_version=version,
            ),
            body,
        )
    except BaseException:
        await run_in_threadpool(vault.destroy, new_id)
        raise
    if answer.id != str(new_id):  # an Idempotency-Key replay: the first key is the one
        await run_in_threadpool(vault.destroy, new_id)
    return answer


async def erase_for_good(
    ctx: CommandContext, candidate_id: UUID, body: Erase, by: UUID
) -> CommandAnswer:
    """Record the erasure, then destroy the key and the index entry (the API's route
    and the web app's form); CandidateOnLegalHoldError while a dispute holds it."""
    services = ctx.services
    holds = await run_in_threadpool(_holds, services, candidate_id)
    try:
        answer = await ctx.run(
            lambda claim, version: use.erase(
                candidate_id,
                by=by,
                now=ctx.now(),
                legal_holds=holds,
                claim=claim,
                expected_version=version,
            ),
            body,
            200,
        )
    except CandidateErasedError:
        # Erased before: make sure the key is gone (a crash may have come in between).
        await run_in_threadpool(services.vault.destroy, candidate_id)
        raise
    await run_in_threadpool(services.vault.destroy, candidate_id)
    return answer


def _holds(services: Services, candidate_id: UUID) -> list[str]:
    municipality = use.candidate_municipality(services.app, candidate_id)
    return legal_holds(services.app, candidate_id, municipality)
