"""The candidate picker of "Henvis en kandidat" and "Start et forløb": one search field
that takes a CPR number (looked up in the company's municipality) or a name (among the
consultant's own candidates there); never an id typed by hand. The company page opens
no name to offer the picker. A typed name is matched against the consultant's own
candidates of the municipality (their data opened in the process, as the candidate
search does); only the hits are written to the access log ("søgning på navn"), and a
name that fits several shows the hits' names to choose from."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.errors import InvalidCprError
from services.api import candidate_reads as reads
from services.http.auth import Principal
from services.http.container import Services
from services.web.i18n import translate

PICKING = ("refer_candidate", "start_placement")


class PickRefused(Exception):
    """No candidate was named, or the search names none (or several) of the municipality's;
    `choices` holds the (id, name) of the several, to pick from."""

    def __init__(self, field: str, text: str, choices: list[tuple[str, str]] | None = None) -> None:
        super().__init__(text)
        self.field, self.text, self.choices = field, text, choices or []


def looks_like_cpr(text: str) -> bool:
    """Whether the search is meant as a CPR number: digits (and separators) only."""
    return any(ch.isdigit() for ch in text) and all(ch.isdigit() or ch in " -" for ch in text)


def picked(
    services: Services,
    who: Principal,
    municipality: str,
    values: dict[str, Any],
    action: str,
    lang: str,
) -> None:
    """Set the form's `candidate_id` from its search field (which leaves the values: what
    was typed is never shown again), or keep the one chosen among a name's several hits;
    PickRefused if neither names exactly one candidate of the municipality."""
    search = str(values.pop("candidate_search", "") or "").strip()
    chosen = str(values.get("candidate_id") or "").strip()
    if not search:
        if not chosen:
            raise PickRefused("candidate_search", translate("cand.pick_one", lang))
        _among_mine(services, who, municipality, chosen, lang)
        return
    values.pop("candidate_id", None)
    if looks_like_cpr(search):
        values["candidate_id"] = str(_by_cpr(services, who, municipality, search, action, lang))
        return
    hits = reads.by_name(services, who, search, [municipality])
    if not hits:
        raise PickRefused("candidate_search", translate("cand.no_name_match", lang))
    if len(hits) > 1:
        choices = [(str(cid), name) for cid, name in hits]
        raise PickRefused("candidate_id", translate("cand.several", lang), choices)
    values["candidate_id"] = str(hits[0][0])


def _by_cpr(
    services: Services, who: Principal, municipality: str, cpr: str, action: str, lang: str
) -> UUID:
    purpose = translate(f"form.{action}", "da")
    try:
        found = reads.pick_by_cpr(services, who, cpr, municipality, purpose)
    except InvalidCprError:
        raise PickRefused("candidate_search", translate("cand.bad_cpr", lang)) from None
    if found is None:
        raise PickRefused("candidate_search", translate("cand.no_cpr_match", lang))
    return found


def _among_mine(
    services: Services, who: Principal, municipality: str, chosen: str, lang: str
) -> None:
    """A candidate chosen from a name's hits must be one of the consultant's own there."""
    mine = {str(cid) for cid, _ in reads.my_candidates(services, who, [municipality])}
    if chosen not in mine:
        raise PickRefused("candidate_search", translate("cand.pick_one", lang))
