"""The job seekers a page names, by name for the staff who may see names: each name
opened is written to the access log with the purpose "overblik" (one write per page),
an erased one is shown as "slettet", and others see the id's first characters."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from services.api import candidate_reads as reads
from services.http.auth import STAFF_ROLES, Principal
from services.http.container import Services
from services.web.i18n import translate

OVERVIEW_PURPOSE = "overblik"


def candidate_names(
    services: Services, who: Principal, items: Iterable[dict[str, Any]]
) -> dict[str, str | None] | None:
    """The names (None: erased) of the candidates these items name, if the viewer may
    see names; None if they may not (an auditor, an admin)."""
    if who.role not in STAFF_ROLES:
        return None
    ids = {
        UUID(str(item["candidate_id"]))
        for item in items
        if item.get("candidate_id") and not item.get("candidate_erased")
    }
    named = reads.names_of(services, who, sorted(ids), OVERVIEW_PURPOSE)
    return {str(cid): name for cid, name in named.items()}


def shown_candidate(names: dict[str, str | None] | None, item: dict[str, Any], lang: str) -> str:
    """The candidate an item names, as the page shows them."""
    cid = str(item.get("candidate_id") or "")
    if item.get("candidate_erased") or (names is not None and cid in names and names[cid] is None):
        return translate("cand.erased", lang)
    if names is not None and names.get(cid):
        return str(names[cid])
    return cid[:8]
