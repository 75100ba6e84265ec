"""invoiceHistory(id): every version of an invoice, oldest first, with who, why and which fields
changed (old → new)."""
from __future__ import annotations

from tests.helpers.graphql import data, post
from tests.invoice.gql.helpers import global_id, mutation_document, number
from tests.invoice.helpers import make_buyer

HISTORY = """
query($id: String!) {
  invoiceHistory(id: $id) { version historyType user reason changes { field old new } }
}"""


def changes_of(version: dict) -> dict:
    return {change["field"]: (change["old"], change["new"]) for change in version["changes"]}


def test_history_after_create_line_add_and_validate(user_a, org_a, accountant_a):
    # given: created by user_a, one line added and validation by accountant_a
    created = post(mutation_document("createInvoice"), {"input": {
        "codeTp": "TP-1", "thirdpartyType": "operator", "thirdpartyId": str(make_buyer(org_a).pk)}}, user=user_a)
    invoice_id = created["data"]["createInvoice"]["internalId"]
    post(mutation_document("createInvoiceLineItem"), {"input": {
        "invoiceId": invoice_id, "quantity": "2", "unitPrice": "17.99"}}, user=accountant_a)
    post(mutation_document("validateInvoice"), {"input": {"id": invoice_id}}, user=accountant_a)

    # when
    versions = data(post(HISTORY, {"id": invoice_id}, user=user_a))["invoiceHistory"]

    # then
    assert [(v["version"], v["historyType"], v["user"], v["reason"]) for v in versions] == [
        (1, "+", "admin-a@molink.test", "invoice_create"),
        (2, "~", "accountant-a@molink.test", "line_add"),
        (3, "~", "accountant-a@molink.test", "invoice_validate"),
    ]
    assert versions[0]["changes"] == []
    line_add = changes_of(versions[1])
    assert (line_add["amount_net"], line_add["amount_total"]) == (("0.00", "35.98"), ("0.00", "43.18"))
    validate = changes_of(versions[2])
    assert (validate["status"], validate["code"], validate["payment_reference"]) == (
        ("0", "1"), ("", number(org_a, 1)), ("", number(org_a, 1)),
    )
    assert "version" not in validate and "date_updated" not in validate


def test_history_by_relay_id(user_a, draft_invoice):
    # when
    versions = data(post(HISTORY, {"id": global_id("InvoiceGQLType", draft_invoice.id)}, user=user_a))["invoiceHistory"]

    # then: created, then one version per line added
    assert [(v["version"], v["reason"]) for v in versions] == [(1, "invoice_create"), (2, "line_add"), (3, "line_add")]


def test_history_of_an_unknown_invoice_is_not_found(user_a):
    # when
    result = post(HISTORY, {"id": "0190f0a4-0000-7000-8000-000000000000"}, user=user_a)

    # then
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in result["errors"]] == [("NOT_FOUND", "id")]
