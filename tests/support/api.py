"""Helpers of the API cases: a company, a contact's body, problem+json checks, acting as staff."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from services.http.auth import Role, mint_token

CVR = "13748136"

NOW = datetime.now(UTC).replace(microsecond=0)


def contact(staff: str, **extra: Any) -> dict[str, Any]:
    return {
        "by": staff,
        "channel": "phone",
        "occurred_at": NOW.isoformat(),
        "summary": "Talked about an opening",
        "topics": ["rekruttering"],
        **extra,
    }


def assert_problem(r: Any, status: int, detail_part: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status
    assert detail_part in body["detail"]


def as_staff(
    client: TestClient, staff: str, role: Role = Role.CONSULTANT, municipality: str = "165"
) -> dict[str, str]:
    token = mint_token(
        client.app.state.services.settings,  # type: ignore[attr-defined]
        subject=staff,
        role=role,
        municipalities=[municipality],
    )
    return {"Authorization": f"Bearer {token}"}


def post(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post(path, json=body)
    assert r.status_code in (200, 201), r.text
    answer: dict[str, Any] = r.json()
    return answer


def consultant(client: TestClient, name: str) -> str:
    staff_id: str = post(
        client, "/staff", {"name": name, "municipality": "165", "unit": "job_centre"}
    )["id"]
    return staff_id
