"""The candidate picker of "Henvis en kandidat" and "Start et forløb": a choice among
the consultant's own candidates of the company's municipality (their names opened,
each read logged), or a CPR number looked up in the company's municipality; never
an id typed by hand."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.errors import InvalidCprError
from services.api import candidate_reads as reads
from services.http.auth import Principal
from services.http.container import Services
from services.web.i18n import translate

PICKING = ("refer_candidate", "start_placement")
PICKER_SIZE = 50  # the most recent of the consultant's candidates offered in the list
PICKER_PURPOSE = "valgliste til henvisning eller forløb"


def picker_choices(services: Services, who: Principal, municipality: str) -> list[tuple[str, str]]:
    """(id, name) of the consultant's most recent candidates of the municipality."""
    mine = [cid for cid, _ in reads.my_candidates(services, who, [municipality])][:PICKER_SIZE]
    named = reads.names_of(services, who, mine, PICKER_PURPOSE)
    return sorted(((str(cid), name) for cid, name in named), key=lambda c: reads.folded(c[1]))


class PickRefused(Exception):
    """No candidate was chosen, or the CPR number names none of the municipality's."""

    def __init__(self, field: str, text: str) -> None:
        super().__init__(text)
        self.field, self.text = field, text


def picked(
    services: Services,
    who: Principal,
    municipality: str,
    values: dict[str, Any],
    action: str,
    lang: str,
) -> None:
    """Set the form's `candidate_id` from its CPR field (which leaves the values: it is
    never shown again), or leave the chosen one; PickRefused if neither names one."""
    cpr = str(values.pop("candidate_cpr", "") or "").strip()
    if not cpr:
        if not str(values.get("candidate_id") or "").strip():
            raise PickRefused("candidate_id", translate("cand.pick_one", lang))
        return
    purpose = translate(f"form.{action}", "da")
    try:
        found: UUID | None = reads.pick_by_cpr(services, who, cpr, municipality, purpose)
    except InvalidCprError:
        raise PickRefused("candidate_cpr", translate("cand.bad_cpr", lang)) from None
    if found is None:
        raise PickRefused("candidate_cpr", translate("cand.no_cpr_match", lang))
    values["candidate_id"] = str(found)
