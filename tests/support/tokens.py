"""Tokens for loading data on someone's behalf in tests."""

from __future__ import annotations

from infra.municipalities import municipalities
from infra.settings import Settings
from services.http.auth import Role, mint_token


def acting_token(settings: Settings, method: str, path: str, body: object) -> str:
    """A token for loading data on someone's behalf (tests): the staff
    member named by the body's `by` as a team lead, an admin for staff changes, or a
    service for the event log and metrics."""
    every = frozenset(municipalities())
    if path in ("/events", "/metrics"):
        return mint_token(
            settings, subject="casebook-demo-service", role=Role.SERVICE, municipalities=every
        )
    by = body.get("by") if isinstance(body, dict) else None
    if path.startswith(("/contracts", "/invoices")):  # contracts: admin; invoices: auditor
        role = Role.ADMIN if path.startswith("/contracts") else Role.AUDITOR
        return mint_token(
            settings, subject=str(by or "casebook-demo-" + role), role=role, municipalities=every
        )
    if method.upper() != "GET" and path.startswith("/staff"):
        return mint_token(
            settings, subject="casebook-demo-admin", role=Role.ADMIN, municipalities=every
        )
    subject = str(by) if by else "00000000-0000-4000-8000-00000000d3e0"
    return mint_token(settings, subject=subject, role=Role.TEAM_LEAD, municipalities=every)
