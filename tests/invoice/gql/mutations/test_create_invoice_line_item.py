"""createInvoiceLineItem: the server computes the line's and the invoice's amounts (Decimal
strings); bad numbers, unknown tax rules and issued invoices are payload errors writing nothing."""
from __future__ import annotations

from string import Template

import pytest

from core.calculation import FR_VAT_10, FR_VAT_20
from core.models import MutationLog
from invoice.models import Invoice, InvoiceLineItem
from tests.helpers.graphql import assert_mutation_errors, assert_mutation_ok, post
from tests.invoice.gql.helpers import assert_num_queries, mutation_log
from tests.invoice.helpers import nothing_written

CREATE_LINE = """
mutation($input: CreateInvoiceLineItemMutationInput!) {
  createInvoiceLineItem(input: $input) {
    clientMutationId internalId errors { field code message }
    invoiceLineItem {
      code description details ledgerAccount quantity unitPrice discount deduction taxRate taxRateLabel
      amountNet amountTotal taxAnalysis line lineOption { id } version
      invoice { amountNet amountDiscount amountTotal version }
    }
  }
}"""

UNKNOWN_ID = "0190f0a4-0000-7000-8000-000000000000"


def test_create_line_computes_its_amounts_and_the_invoice_totals(user_a, empty_draft):
    # given: 2 × 17.99 = 35.98 net, VAT 20 % 7.196 → 7.20, total 43.18
    given = {"clientMutationId": "line-1", "invoiceId": str(empty_draft.id), "code": "AVIS", "description": "Avis",
             "details": "texte libre", "ledgerAccount": "706000", "quantity": "2", "unitPrice": "17.99",
             "taxRate": str(FR_VAT_20.id)}

    # when
    payload = assert_mutation_ok(post(CREATE_LINE, {"input": given}, user=user_a), "createInvoiceLineItem")

    # then
    line = InvoiceLineItem.objects.get()
    assert (payload["clientMutationId"], payload["internalId"]) == ("line-1", str(line.id))
    node = payload["invoiceLineItem"]
    assert {key: value for key, value in node.items() if key != "taxAnalysis"} == {
        "code": "AVIS", "description": "Avis", "details": '{"text": "texte libre"}', "ledgerAccount": "706000",
        "quantity": "2.0000", "unitPrice": "17.9900", "discount": "0.0000", "deduction": "0.00",
        "taxRate": str(FR_VAT_20.id), "taxRateLabel": "TVA 20 %", "amountNet": "35.98", "amountTotal": "43.18",
        "line": None, "lineOption": None, "version": 1,
        "invoice": {"amountNet": "35.98", "amountDiscount": "0.00", "amountTotal": "43.18", "version": 2},
    }
    assert (line.history.count(), Invoice.objects.get(pk=empty_draft.pk).amount_total) == (1, line.amount_total)
    assert (mutation_log("line-1").status, mutation_log("line-1").json_ext) == (
        MutationLog.Status.SUCCESS, {"internal_id": str(line.id)},
    )


def test_create_line_openimis_inline_form_with_discount_and_deduction(user_a, draft_invoice):
    # given: decimals inlined as quoted strings; 3 × 10.00 × (1 − 0.25) − 2.50 = 20.00, VAT 10 % → 22.00
    document = Template("""mutation { createInvoiceLineItem(input: {clientMutationId: "line-2", invoiceId: "$invoice_id",
        quantity: "3", unitPrice: "10.00", discount: "0.25", deduction: "2.50", taxRate: "$tax_rate"}) {
        errors { field code } invoiceLineItem { amountNet amountTotal invoice { amountNet amountDiscount amountTotal } } } }"""
    ).substitute(invoice_id=draft_invoice.id, tax_rate=FR_VAT_10.id)

    # when
    payload = assert_mutation_ok(post(document, user=user_a), "createInvoiceLineItem")

    # then: the draft had 245.00 net, 5.00 discount, 289.50 total; 10 % VAT on 45.00 + 20.00 = 6.50
    assert payload["invoiceLineItem"] == {
        "amountNet": "20.00", "amountTotal": "22.00",
        "invoice": {"amountNet": "265.00", "amountDiscount": "15.00", "amountTotal": "311.50"},
    }


BAD_LINES = [
    pytest.param({"quantity": "-1"}, [("quantity", "OUT_OF_RANGE")], id="negative-quantity"),
    pytest.param({"unitPrice": "-3"}, [("unitPrice", "OUT_OF_RANGE")], id="negative-unit-price"),
    pytest.param({"discount": "1.5"}, [("discount", "OUT_OF_RANGE")], id="discount-above-1"),
    pytest.param({"discount": "-0.1"}, [("discount", "OUT_OF_RANGE")], id="negative-discount"),
    pytest.param({"deduction": "-1"}, [("deduction", "OUT_OF_RANGE")], id="negative-deduction"),
    pytest.param({"quantity": "2", "unitPrice": "10", "discount": "0.5", "deduction": "10.01"},
                 [("deduction", "DEDUCTION_EXCEEDS_GROSS")], id="deduction-above-gross"),
    pytest.param({"taxRate": UNKNOWN_ID}, [("taxRate", "UNKNOWN_TAX_RULE")], id="unknown-tax-rate"),
    pytest.param({"taxRate": "TVA20"}, [("taxRate", "UNKNOWN_TAX_RULE")], id="tax-rate-not-a-uuid"),
    pytest.param({"lineType": "planet", "lineId": UNKNOWN_ID}, [("lineType", "UNKNOWN_PICKER_TYPE")],
                 id="unknown-line-type"),
    pytest.param({"quantity": "-1", "unitPrice": "-3", "taxRate": UNKNOWN_ID},
                 [("quantity", "OUT_OF_RANGE"), ("unitPrice", "OUT_OF_RANGE"), ("taxRate", "UNKNOWN_TAX_RULE")],
                 id="every-error"),
    pytest.param({"code": "C" * 256}, [("code", "TOO_LONG")], id="code-too-long"),
    pytest.param({"dateValidFrom": "2026-03-31", "dateValidTo": "2026-03-01"}, [("dateValidTo", "INVALID_PERIOD")],
                 id="period"),
]


@pytest.mark.parametrize(("given", "expected"), BAD_LINES)
def test_create_line_rejects_bad_input_and_writes_nothing(user_a, draft_invoice, given, expected):
    # when
    with nothing_written():
        result = post(CREATE_LINE, {"input": {"invoiceId": str(draft_invoice.id), **given}}, user=user_a)

    # then
    assert_mutation_errors(result, "createInvoiceLineItem", expected)
    assert InvoiceLineItem.objects.filter(invoice=draft_invoice).count() == 2


def test_create_line_on_a_validated_invoice_is_not_editable(user_a, validated_invoice):
    # when
    with nothing_written():
        result = post(CREATE_LINE, {"input": {"invoiceId": str(validated_invoice.id), "unitPrice": "1"}}, user=user_a)

    # then
    assert_mutation_errors(result, "createInvoiceLineItem", [("status", "NOT_EDITABLE")])


@pytest.mark.parametrize(("ident", "expected"), [
    pytest.param(UNKNOWN_ID, [("invoiceId", "NOT_FOUND")], id="unknown"),
    pytest.param("zzz", [("invoiceId", "INVALID")], id="not-an-id"),
])
def test_create_line_unknown_invoice(user_a, draft_invoice, ident, expected):
    # when
    with nothing_written():
        result = post(CREATE_LINE, {"input": {"invoiceId": ident, "unitPrice": "1"}}, user=user_a)

    # then
    assert_mutation_errors(result, "createInvoiceLineItem", expected)


def test_create_line_on_another_organisations_invoice_is_not_found(user_b, draft_invoice):
    # when
    with nothing_written():
        result = post(CREATE_LINE, {"input": {"invoiceId": str(draft_invoice.id), "unitPrice": "1"}}, user=user_b)

    # then
    assert_mutation_errors(result, "createInvoiceLineItem", [("invoiceId", "NOT_FOUND")])


def test_create_invoice_line_item_query_count(user_a, draft_invoice):
    # when / then
    with assert_num_queries(15):
        result = post(CREATE_LINE, {"input": {"invoiceId": str(draft_invoice.id), "quantity": "1", "unitPrice": "5"}},
                      user=user_a)
    assert_mutation_ok(result, "createInvoiceLineItem")
