"""OpenAPI links: from each operation that creates something to the operations that take
the id it answers (`id`, or `cvr` for a company), so a client, or a fuzzer's stateful
phase, can follow the work as the service records it."""

from __future__ import annotations

Operation = tuple[str, str]
Link = tuple[Operation, dict[str, str]]

_CVR = "$response.body#/cvr"
_ID = "$response.body#/id"
_SAME_CVR = "$request.path.cvr"
_COMPANY = "/companies/{cvr}"


def _on_company(path: str, method: str = "POST", name: str = "id") -> Link:
    return (method, f"{_COMPANY}{path}"), {"cvr": _SAME_CVR, name: _ID}


LINKS: dict[Operation, dict[str, Link]] = {
    ("POST", "/companies"): {
        "overview": (("GET", _COMPANY), {"cvr": _CVR}),
        "timeline": (("GET", f"{_COMPANY}/timeline"), {"cvr": _CVR}),
        "state": (("GET", f"{_COMPANY}/state"), {"cvr": _CVR}),
        "overview_list": (("GET", f"{_COMPANY}/overview/{{list_name}}"), {"cvr": _CVR}),
        "change_details": (("POST", f"{_COMPANY}/details"), {"cvr": _CVR}),
        "assign_contact_person": (("POST", f"{_COMPANY}/contact-person"), {"cvr": _CVR}),
        "log_contact": (("POST", f"{_COMPANY}/contacts"), {"cvr": _CVR}),
        "set_contact_preference": (("PUT", f"{_COMPANY}/contact-preference"), {"cvr": _CVR}),
        "register_opening": (("POST", f"{_COMPANY}/openings"), {"cvr": _CVR}),
        "refer_candidate": (("POST", f"{_COMPANY}/referrals"), {"cvr": _CVR}),
        "start_placement": (("POST", f"{_COMPANY}/placements"), {"cvr": _CVR}),
        "schedule_follow_up": (("POST", f"{_COMPANY}/follow-ups"), {"cvr": _CVR}),
        "agree_commitment": (("POST", f"{_COMPANY}/commitments"), {"cvr": _CVR}),
    },
    ("POST", f"{_COMPANY}/contacts"): {
        "correct_contact": _on_company("/contacts/{contact_id}/corrections", name="contact_id"),
    },
    ("POST", f"{_COMPANY}/openings"): {
        "close_opening": _on_company("/openings/{opening_id}/close", name="opening_id"),
    },
    ("POST", f"{_COMPANY}/referrals"): {
        "answer_referral": _on_company("/referrals/{referral_id}/answer", name="referral_id"),
    },
    ("POST", f"{_COMPANY}/placements"): {
        "change_placement": _on_company("/placements/{placement_id}/changes", name="placement_id"),
        "end_placement": _on_company("/placements/{placement_id}/end", name="placement_id"),
    },
    ("POST", f"{_COMPANY}/follow-ups"): {
        "complete_follow_up": _on_company(
            "/follow-ups/{follow_up_id}/complete", name="follow_up_id"
        ),
    },
    ("POST", f"{_COMPANY}/commitments"): {
        "review_commitment": _on_company(
            "/commitments/{commitment_id}/reviews", name="commitment_id"
        ),
    },
    ("POST", "/staff"): {
        "caseload": (("GET", "/staff/{staff_id}/caseload"), {"staff_id": _ID}),
        "notices": (("GET", "/staff/{staff_id}/notices"), {"staff_id": _ID}),
        "move": (("POST", "/staff/{staff_id}/moves"), {"staff_id": _ID}),
        "leave": (("POST", "/staff/{staff_id}/leave"), {"staff_id": _ID}),
    },
    ("POST", "/candidates"): {
        "read_candidate": (("GET", "/candidates/{candidate_id}"), {"candidate_id": _ID}),
        "access_log": (("GET", "/candidates/{candidate_id}/access-log"), {"candidate_id": _ID}),
        "clarify": (("POST", "/candidates/{candidate_id}/clarifications"), {"candidate_id": _ID}),
        "erase": (("POST", "/candidates/{candidate_id}/erase"), {"candidate_id": _ID}),
    },
    ("POST", "/contracts"): {
        "amend": (("POST", "/contracts/{contract_id}/amendments"), {"contract_id": _ID}),
        "ledger": (("GET", "/contracts/{contract_id}/ledger"), {"contract_id": _ID}),
        "issue_invoice": (("POST", "/contracts/{contract_id}/invoices"), {"contract_id": _ID}),
        "join_programme": (("POST", "/contracts/{contract_id}/participants"), {"contract_id": _ID}),
        "effects": (("GET", "/contracts/{contract_id}/effects"), {"contract_id": _ID}),
    },
    ("POST", "/contracts/{contract_id}/participants"): {
        "leave_programme": (
            ("POST", "/contracts/{contract_id}/participants/{cvr}/end"),
            {"contract_id": "$response.body#/contract_id", "cvr": _CVR},
        ),
        "overview": (("GET", _COMPANY), {"cvr": _CVR}),
    },
    ("POST", "/contracts/{contract_id}/invoices"): {
        "invoice": (("GET", "/invoices/{invoice_id}"), {"invoice_id": _ID}),
        "dispute": (("POST", "/invoices/{invoice_id}/disputes"), {"invoice_id": _ID}),
    },
    ("POST", "/invoices/{invoice_id}/disputes"): {
        "resolve": (
            ("POST", "/invoices/{invoice_id}/disputes/{dispute_id}/resolution"),
            {"invoice_id": "$request.path.invoice_id", "dispute_id": _ID},
        ),
    },
}
