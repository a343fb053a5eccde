"""An auditor settles a dispute in the browser (TestClient on the in-memory store): from
the invoice page a dispute of some lines with a reason, its state on the invoice and
the ledger, an admin's resolution with a note; the invoice itself never changes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from services.http.auth import Role, mint_token
from services.http.container import Services
from tests.support.site import Site, auditor_world, form_fields, open_site


@pytest.fixture
def site(services: Services) -> Iterator[Site]:
    yield from open_site(services)


def _sign_in_as(site: Site, role: Role, municipality: str = "165") -> None:
    token = mint_token(
        site.services.settings, subject=f"{role}-1", role=role, municipalities=[municipality]
    )
    r = site.browser.post("/app/login", data={"token": token, "next": "/app/contracts"})
    assert r.status_code == 200, r.text


def _csrf(html: str) -> str:
    """The session's CSRF token, as any page carries it."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def _invoice(site: Site, invoice_id: str) -> dict[str, Any]:
    r = site.api.get(f"/invoices/{invoice_id}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _dispute(site: Site, invoice_id: str, keys: list[str], reason: str) -> Any:
    page = site.browser.get(f"/app/invoices/{invoice_id}").text
    fields = {**form_fields(page, "dispute"), "keys": keys, "reason": reason}
    return site.browser.post(
        f"/app/invoices/{invoice_id}/disputes", data=fields, follow_redirects=False
    )


def test_an_auditor_disputes_a_line_and_an_admin_recovers_it(site: Site) -> None:
    contract_id, invoice_id = auditor_world(site)
    before = _invoice(site, invoice_id)
    key = before["lines"][0]["key"]
    page = site.browser.get(f"/app/invoices/{invoice_id}").text
    assert "Ingen indsigelser." in page
    assert f'name="keys" value="{key}"' in page  # each line can be ticked

    r = _dispute(site, invoice_id, [key], "Ingen lønsedler for perioden")
    assert r.status_code == 303, r.text
    assert re.fullmatch(
        rf"/app/invoices/{invoice_id}\?min_position=\d+&saved=dispute", r.headers["location"]
    )
    shown = site.browser.get(r.headers["location"]).text
    assert "Gemt." in shown and "Ingen lønsedler for perioden" in shown
    assert "Afgørelse: åben" in shown and f"<code>{key}</code>" in shown
    (dispute,) = _invoice(site, invoice_id)["disputes"]
    assert dispute["keys"] == [key] and dispute["outcome"] is None
    ledger = site.browser.get(f"/app/contracts/{contract_id}").text
    assert "<td>Gjort indsigelse mod</td>" in ledger

    _sign_in_as(site, Role.ADMIN)
    page = site.browser.get(f"/app/invoices/{invoice_id}").text
    assert 'id="form-dispute"' not in page  # an admin resolves, never disputes
    name = f"resolve-{dispute['dispute_id']}"
    fields = {**form_fields(page, name), "outcome": "recovered", "note": "Kreditnota sendt"}
    action = f"/app/invoices/{invoice_id}/disputes/{dispute['dispute_id']}/resolution"
    r = site.browser.post(action, data=fields, follow_redirects=False)
    assert r.status_code == 303, r.text
    shown = site.browser.get(r.headers["location"]).text
    assert "Afgørelse: Tilbagebetalt" in shown and "Notat: Kreditnota sendt" in shown
    assert f'id="form-{name}"' not in shown  # resolved: no form to resolve it again
    assert "<td>Tilbagebetalt</td>" in site.browser.get(f"/app/contracts/{contract_id}").text

    after = _invoice(site, invoice_id)
    assert after["disputes"] == [{**dispute, "outcome": "recovered", "note": "Kreditnota sendt"}]
    assert {k: v for k, v in after.items() if k != "disputes"} == {
        k: v for k, v in before.items() if k != "disputes"
    }  # the invoice replays as it was issued: same lines, position, digest, seal
    again = site.browser.post(action, data={**fields, "idempotency_key": "another"})
    assert again.status_code == 409
    assert re.search(r'class="error" role="alert">Formularen blev ikke gemt: .*already', again.text)


def test_a_dispute_without_a_reason_is_refused_on_the_form(site: Site) -> None:
    _, invoice_id = auditor_world(site)
    r = _dispute(site, invoice_id, [], "")
    assert r.status_code == 422
    assert re.search(r'class="error" role="alert">Formularen blev ikke gemt: Begrundelse', r.text)
    assert _invoice(site, invoice_id)["disputes"] == []


def test_pressing_the_button_twice_opens_one_dispute(site: Site) -> None:
    _, invoice_id = auditor_world(site)
    page = site.browser.get(f"/app/invoices/{invoice_id}").text
    fields = {**form_fields(page, "dispute"), "reason": "Tvivl om timetal"}
    for _ in range(2):
        r = site.browser.post(
            f"/app/invoices/{invoice_id}/disputes", data=fields, follow_redirects=False
        )
        assert r.status_code == 303, r.text
    invoice = _invoice(site, invoice_id)
    (dispute,) = invoice["disputes"]
    assert sorted(dispute["keys"]) == sorted(line["key"] for line in invoice["lines"])  # all


def test_only_the_invoice_s_own_auditors_dispute(site: Site) -> None:
    _, invoice_id = auditor_world(site)
    page = site.browser.get(f"/app/invoices/{invoice_id}").text
    fields = {**form_fields(page, "dispute"), "reason": "x"}
    _sign_in_as(site, Role.AUDITOR, "147")
    fields["csrf_token"] = _csrf(site.browser.get("/app/contracts").text)
    r = site.browser.post(f"/app/invoices/{invoice_id}/disputes", data=fields)
    assert r.status_code == 404
    site.sign_in(site.consultant)
    r = site.browser.post(f"/app/invoices/{invoice_id}/disputes", data=fields)
    assert r.status_code == 403
    assert _invoice(site, invoice_id)["disputes"] == []
