"""createInvoice: a draft with its header, generic subject/thirdparty scoped to the caller's
organisation; every bad input is a payload error and writes nothing but the MutationLog."""
from __future__ import annotations

import json
import uuid
from datetime import date

import pytest

from core.models import MutationLog
from invoice.models import Invoice, InvoiceEvent
from tests.helpers.graphql import assert_mutation_errors, assert_mutation_ok, post
from tests.invoice.gql.helpers import assert_num_queries, mutation_log
from tests.invoice.helpers import make_buyer, nothing_written

CREATE = """
mutation($input: CreateInvoiceMutationInput!) {
  createInvoice(input: $input) {
    clientMutationId internalId errors { field code message }
    invoice {
      id status documentType code codeTp currencyCode dateInvoice dateDue dateValidFrom dateValidTo note
      amountNet amountTotal amountPayed amountDiscount version isEditable isDeleted
      subjectTypeName subjectId subject subjectOption { id type code label }
      thirdpartyTypeName thirdpartyId thirdpartyOption { id type code label }
      lineItems { id } events { eventType message userName }
    }
  }
}"""

UNKNOWN_ID = "0190f0a4-0000-7000-8000-000000000000"


def test_create_invoice_returns_the_draft(user_a, org_a):
    # given
    given = {
        "clientMutationId": "create-1", "clientMutationLabel": "Nouvelle facture",
        "subjectType": "organization", "subjectId": str(org_a.id), "thirdpartyType": "operator",
        "thirdpartyId": str(make_buyer(org_a).id), "codeTp": "TP-42", "dateInvoice": "2026-03-01",
        "dateValidFrom": "2026-02-01", "dateValidTo": "2026-02-28", "currencyCode": "eur", "note": " Février ",
    }

    # when
    payload = assert_mutation_ok(post(CREATE, {"input": given}, user=user_a), "createInvoice")

    # then
    invoice = Invoice.objects.get()
    assert payload["clientMutationId"] == "create-1"
    assert payload["internalId"] == str(invoice.id)
    node = payload["invoice"]
    assert {key: value for key, value in node.items() if key not in ("id", "subject")} == {
        "status": "A_0", "documentType": "INVOICE", "code": "", "codeTp": "TP-42", "currencyCode": "EUR",
        "dateInvoice": "2026-03-01", "dateDue": "2026-03-31", "dateValidFrom": "2026-02-01",
        "dateValidTo": "2026-02-28", "note": "Février", "amountNet": "0.00", "amountTotal": "0.00",
        "amountPayed": "0.00", "amountDiscount": "0.00", "version": 1, "isEditable": True, "isDeleted": False,
        "subjectTypeName": "organization", "subjectId": str(org_a.id),
        "subjectOption": {"id": str(org_a.id), "type": "organization", "code": "org-a", "label": "Org A"},
        "thirdpartyTypeName": "operator", "thirdpartyId": str(make_buyer(org_a).id),
        "thirdpartyOption": {"id": str(make_buyer(org_a).id), "type": "operator", "code": "buyer",
                             "label": "Pompes Funèbres Acheteur"},
        "lineItems": [],
        "events": [{"eventType": "A_1", "message": "draft created", "userName": "admin-a@molink.test"}],
    }
    assert json.loads(json.loads(node["subject"])) == {
        "id": str(org_a.id), "type": "organization", "code": "org-a", "label": "Org A", "siren": "", "vatNumber": "",
    }
    assert (invoice.organization, invoice.user_created, invoice.history.count()) == (org_a, user_a, 1)
    log = mutation_log("create-1")
    assert (log.status, log.client_mutation_label, log.json_ext, log.error) == (
        MutationLog.Status.SUCCESS, "Nouvelle facture", {"internal_id": str(invoice.id)}, None,
    )


def test_create_invoice_without_input_uses_the_organisation_defaults(user_a, org_a):
    # when
    payload = assert_mutation_ok(post(CREATE, {"input": {}}, user=user_a), "createInvoice")

    # then
    assert payload["clientMutationId"] is None
    assert (payload["invoice"]["currencyCode"], payload["invoice"]["subject"], payload["invoice"]["subjectOption"]) == (
        "EUR", None, None,
    )


BAD_INPUTS = [
    pytest.param({"currencyCode": "EURO"}, [("currencyCode", "INVALID_CURRENCY")], id="currency-EURO"),
    pytest.param({"currencyTpCode": "XYZ"}, [("currencyTpCode", "INVALID_CURRENCY")], id="tp-currency"),
    pytest.param({"subjectType": "planet", "subjectId": UNKNOWN_ID}, [("subjectType", "UNKNOWN_PICKER_TYPE")],
                 id="unknown-subject-type"),
    pytest.param({"thirdpartyType": "planet", "thirdpartyId": UNKNOWN_ID},
                 [("thirdpartyType", "UNKNOWN_PICKER_TYPE")], id="unknown-thirdparty-type"),
    pytest.param({"subjectType": "organization", "subjectId": UNKNOWN_ID}, [("subjectId", "NOT_FOUND")],
                 id="unknown-subject-id"),
    pytest.param({"subjectType": "organization", "subjectId": "not-a-uuid"}, [("subjectId", "NOT_FOUND")],
                 id="malformed-subject-id"),
    pytest.param(lambda org_b, user_b: {"subjectType": "organization", "subjectId": str(org_b.id)},
                 [("subjectId", "NOT_FOUND")], id="other-organisation-subject"),
    pytest.param(lambda org_b, user_b: {"thirdpartyType": "operator", "thirdpartyId": str(make_buyer(org_b).id)},
                 [("thirdpartyId", "NOT_FOUND")], id="other-organisation-thirdparty"),
    pytest.param(lambda org_b, user_b: {"thirdpartyType": "user", "thirdpartyId": str(user_b.id)},
                 [("thirdpartyType", "UNKNOWN_PICKER_TYPE")], id="user-is-not-a-thirdparty"),
    pytest.param({"dateValidFrom": "2026-03-31", "dateValidTo": "2026-03-01"}, [("dateValidTo", "INVALID_PERIOD")],
                 id="period-end-before-start"),
    pytest.param({"code": "X" * 65}, [("code", "TOO_LONG")], id="code-too-long"),
    pytest.param({"currencyCode": "EURO", "subjectType": "planet", "subjectId": UNKNOWN_ID},
                 [("currencyCode", "INVALID_CURRENCY"), ("subjectType", "UNKNOWN_PICKER_TYPE")], id="every-error"),
]


@pytest.mark.parametrize(("given", "expected"), BAD_INPUTS)
def test_create_invoice_rejects_bad_input_and_writes_nothing(user_a, org_b, user_b, given, expected):
    # given: callables name objects of Org B
    if callable(given):
        given = given(org_b, user_b)

    # when
    with nothing_written():
        result = post(CREATE, {"input": {**given, "clientMutationId": "bad"}}, user=user_a)

    # then
    assert_mutation_errors(result, "createInvoice", expected)
    payload = result["data"]["createInvoice"]
    assert (payload["clientMutationId"], payload["internalId"], payload["invoice"]) == ("bad", None, None)
    assert (Invoice.objects.count(), Invoice.history.count(), InvoiceEvent.objects.count()) == (0, 0, 0)
    log = mutation_log("bad")
    assert (log.status, [(e["field"], e["code"]) for e in log.error], log.json_ext) == (
        MutationLog.Status.ERROR, expected, None,
    )


def test_create_invoice_query_count(user_a, org_a):
    # given
    given = {"subjectType": "organization", "subjectId": str(org_a.id), "dateInvoice": str(date(2026, 3, 1))}

    # when / then
    with assert_num_queries(18):
        result = post(CREATE, {"input": given}, user=user_a)
    assert_mutation_ok(result, "createInvoice")
    uuid.UUID(result["data"]["createInvoice"]["internalId"])
