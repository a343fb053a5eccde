"""What fuzzing the API from its OpenAPI document found at the edge: a 405 names the
allowed methods, If-Match takes the digits 0-9 only, and dates are text, never numbers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.api import assert_problem, contact

pytestmark = pytest.mark.stores  # rerun on SQLite and PostgreSQL by `make integration`


def test_a_method_a_path_does_not_take_is_405_naming_those_it_does(
    client: TestClient, registered: str
) -> None:
    """DELETE on a company is 405 with `Allow: GET` (RFC 9110; the header was dropped)."""
    r = client.delete(f"/companies/{registered}")
    assert_problem(r, 405, "Method Not Allowed")
    assert r.headers["allow"] == "GET"


def test_a_405_names_the_methods_of_every_route_of_the_path(client: TestClient) -> None:
    """/companies is searched (GET) and registered into (POST) by two routers: a PUT on it
    is 405 with `Allow: GET, POST` (it said POST only)."""
    r = client.put("/companies", json={})
    assert_problem(r, 405, "Method Not Allowed")
    assert r.headers["allow"] == "GET, POST"


@pytest.mark.parametrize("value", ["²", '"¹"', "", "W/", '""7""'])
def test_an_if_match_that_is_no_version_is_422(
    client: TestClient, staff: str, registered: str, value: str
) -> None:
    """If-Match must be `*` or a version of digits 0-9 in at most one pair of quotes:
    the pattern the document gives (`""7""` was taken as 7)."""
    r = client.post(
        f"/companies/{registered}/contacts",
        json=contact(staff),
        headers={b"If-Match": value.encode("latin-1")},
    )
    assert_problem(r, 422, "If-Match must be a version number")


def test_a_weak_or_quoted_if_match_still_names_the_version(
    client: TestClient, staff: str, registered: str
) -> None:
    """`W/"7"`, `"7"` and ` 7 ` name version 7 (the company is at 1: 412), as before."""
    for value in ('W/"7"', '"7"', " 7 "):
        r = client.post(
            f"/companies/{registered}/contacts", json=contact(staff), headers={"If-Match": value}
        )
        assert_problem(r, 412, "7")


def test_a_date_given_as_a_number_is_422(client: TestClient, staff: str, registered: str) -> None:
    """`to=0`, `as_of=0`, a time of 0 and a date of 0 are refused: pydantic read them as
    Unix times (1970-01-01), which the document's date formats do not allow."""
    c = f"/companies/{registered}"
    for r in (
        client.get(f"{c}/timeline", params={"to": "0"}),
        client.get(f"{c}/state", params={"as_of": "1700000000"}),
        client.post(f"{c}/contacts", json=contact(staff, occurred_at=0)),
        client.post(f"/staff/{staff}/leave", json={"left_on": 0}),
    ):
        assert r.status_code == 422, r.text
        assert r.json()["title"] == "Invalid request"
        assert "is text" in r.json()["detail"]


def test_a_whole_number_given_as_true_false_or_text_is_422(
    client: TestClient, staff: str, registered: str
) -> None:
    """`target_hires: false` and `hours_per_week: "20"` are refused: pydantic read them as
    0 and 20, which the document's integer type does not allow (20.0 still is 20)."""
    c = f"/companies/{registered}"
    commitment = {"description": "Two hires", "by_date": "2030-01-01", "by": staff}
    opening = {"title": "Gartner", "placement_kinds": ["ordinary"], "by": staff}
    for path, body in (
        (f"{c}/commitments", {**commitment, "target_hires": False}),
        (f"{c}/openings", {**opening, "hours_per_week": "20"}),
    ):
        r = client.post(path, json=body)
        assert r.status_code == 422, r.text
        assert "a whole number" in r.json()["detail"]
    assert client.post(f"{c}/openings", json={**opening, "hours_per_week": 20.0}).status_code == 201


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/companies/13748136/overview/commitments", "offset"),
        ("/companies/13748136/timeline", "cursor"),
        ("/events", "after"),
        ("/companies/13748136", "min_position"),
    ],
)
def test_a_position_past_what_sql_holds_is_422(
    client: TestClient, registered: str, path: str, name: str
) -> None:
    """An offset, cursor or position of 2**63 or more is refused by validation: SQL's
    bigint holds no more, and on PostgreSQL `?offset=2**95` was a 500 (fuzzing found it)."""
    for too_big in (2**63, 2**95):
        r = client.get(path, params={name: too_big})
        assert_problem(r, 422, f"query.{name}")
    r = client.get(path, params={name: 2**63 - 1 if name != "min_position" else 0})
    assert r.status_code < 500 and f"query.{name}" not in r.text, (name, r.text)
