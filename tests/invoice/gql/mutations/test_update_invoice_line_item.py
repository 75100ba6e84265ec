"""updateInvoiceLineItem: a draft's line changes and the invoice is recomputed; issued invoices,
stale versions, bad numbers and other tenants' lines are payload errors writing nothing."""
from __future__ import annotations

import pytest

from core.calculation import FR_VAT_5_5
from core.models import MutationLog
from tests.helpers.graphql import assert_mutation_errors, assert_mutation_ok, post
from tests.invoice.gql.helpers import assert_num_queries, global_id, mutation_log
from tests.invoice.helpers import nothing_written

UPDATE_LINE = """
mutation($input: UpdateInvoiceLineItemMutationInput!) {
  updateInvoiceLineItem(input: $input) {
    clientMutationId internalId errors { field code message }
    invoiceLineItem { code quantity unitPrice discount taxRateLabel amountNet amountTotal version
                      invoice { amountNet amountTotal } }
  }
}"""


def test_update_line_recomputes_the_line_and_the_invoice(user_a, lines):
    # given: L1 was 2 × 100.00 at 20 %
    given = {"clientMutationId": "upd-line-1", "id": str(lines[0].id), "version": 1, "quantity": "3",
             "taxRate": str(FR_VAT_5_5.id)}

    # when
    payload = assert_mutation_ok(post(UPDATE_LINE, {"input": given}, user=user_a), "updateInvoiceLineItem")

    # then: 300.00 at 5.5 % = 16.50; invoice 300.00 + 45.00 = 345.00 net, VAT 16.50 + 4.50, total 366.00
    assert (payload["clientMutationId"], payload["internalId"]) == ("upd-line-1", str(lines[0].id))
    assert payload["invoiceLineItem"] == {
        "code": "L1", "quantity": "3.0000", "unitPrice": "100.0000", "discount": "0.0000", "taxRateLabel": "TVA 5,5 %",
        "amountNet": "300.00", "amountTotal": "316.50", "version": 2,
        "invoice": {"amountNet": "345.00", "amountTotal": "366.00"},
    }
    assert (mutation_log("upd-line-1").status, mutation_log("upd-line-1").json_ext) == (
        MutationLog.Status.SUCCESS, {"internal_id": str(lines[0].id)},
    )


def test_update_line_accepts_a_relay_global_id(user_a, lines):
    # when
    payload = assert_mutation_ok(post(UPDATE_LINE, {"input": {
        "id": global_id("InvoiceLineItemGQLType", lines[1].id), "discount": "0"}}, user=user_a), "updateInvoiceLineItem")

    # then
    assert (payload["invoiceLineItem"]["amountNet"], payload["invoiceLineItem"]["invoice"]["amountTotal"]) == (
        "50.00", "295.00",
    )


@pytest.mark.parametrize(("given", "expected"), [
    pytest.param({"quantity": "-2"}, [("quantity", "OUT_OF_RANGE")], id="negative-quantity"),
    pytest.param({"unitPrice": "-0.01"}, [("unitPrice", "OUT_OF_RANGE")], id="negative-unit-price"),
    pytest.param({"discount": "2"}, [("discount", "OUT_OF_RANGE")], id="discount-above-1"),
    pytest.param({"deduction": "200.01"}, [("deduction", "DEDUCTION_EXCEEDS_GROSS")], id="deduction-above-gross"),
    pytest.param({"taxRate": "0190f0a4-0000-7000-8000-000000000000"}, [("taxRate", "UNKNOWN_TAX_RULE")],
                 id="unknown-tax-rate"),
    pytest.param({"version": 7}, [("version", "STALE_VERSION")], id="stale-version"),
])
def test_update_line_rejects_bad_input(user_a, lines, given, expected):
    # when
    with nothing_written():
        result = post(UPDATE_LINE, {"input": {"id": str(lines[0].id), **given}}, user=user_a)

    # then
    assert_mutation_errors(result, "updateInvoiceLineItem", expected)


def test_update_line_of_a_validated_invoice_is_not_editable(user_a, validated_lines):
    # when
    with nothing_written():
        result = post(UPDATE_LINE, {"input": {"id": str(validated_lines[0].id), "quantity": "1"}}, user=user_a)

    # then
    assert_mutation_errors(result, "updateInvoiceLineItem", [("status", "NOT_EDITABLE")])


def test_update_line_of_another_organisation_is_not_found(user_b, lines):
    # when
    with nothing_written():
        result = post(UPDATE_LINE, {"input": {"id": str(lines[0].id), "quantity": "1"}}, user=user_b)

    # then
    assert_mutation_errors(result, "updateInvoiceLineItem", [("id", "NOT_FOUND")])


def test_update_invoice_line_item_query_count(user_a, lines):
    # when / then
    with assert_num_queries(17):
        result = post(UPDATE_LINE, {"input": {"id": str(lines[0].id), "quantity": "4"}}, user=user_a)
    assert_mutation_ok(result, "updateInvoiceLineItem")
