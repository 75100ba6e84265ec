"""updateInvoicePayment: editing a payment re-derives the invoice's amountPayed and status
(a refund moves a PAID invoice back); bad amounts, stale versions and other tenants' payments
are payload errors writing nothing."""
from __future__ import annotations

import pytest

from core.models import MutationLog
from tests.helpers.graphql import assert_mutation_errors, assert_mutation_ok, post
from tests.invoice.gql.helpers import assert_num_queries, mutation_log
from tests.invoice.helpers import nothing_written

UPDATE_PAYMENT = """
mutation($input: UpdateInvoicePaymentMutationInput!) {
  updateInvoicePayment(input: $input) {
    clientMutationId internalId errors { field code message }
    invoicePayment { status label amountPayed fees version invoice { status amountPayed datePayed } }
  }
}"""


def test_refunding_the_payment_of_a_paid_invoice_reopens_it(user_a, paid_invoice, full_payment):
    # when
    result = post(UPDATE_PAYMENT, {"input": {"clientMutationId": "upd-pay-1", "id": str(full_payment.id), "version": 1,
                                             "status": 2, "label": "remboursé"}}, user=user_a)

    # then
    payload = assert_mutation_ok(result, "updateInvoicePayment")
    assert (payload["clientMutationId"], payload["internalId"]) == ("upd-pay-1", str(full_payment.id))
    assert payload["invoicePayment"] == {
        "status": "A_2", "label": "remboursé", "amountPayed": "289.50", "fees": "0.00", "version": 2,
        "invoice": {"status": "A_1", "amountPayed": "0.00", "datePayed": None},
    }
    assert (mutation_log("upd-pay-1").status, mutation_log("upd-pay-1").json_ext) == (
        MutationLog.Status.SUCCESS, {"internal_id": str(full_payment.id)},
    )


def test_completing_a_partial_payment_marks_the_invoice_paid(user_a, partial_payment):
    # when
    payload = assert_mutation_ok(post(UPDATE_PAYMENT, {"input": {"id": str(partial_payment.id), "amountPayed": "289.50"}},
                                      user=user_a), "updateInvoicePayment")

    # then
    assert payload["invoicePayment"]["invoice"]["status"] == "A_2"
    assert payload["invoicePayment"]["invoice"]["amountPayed"] == "289.50"


@pytest.mark.parametrize(("given", "expected"), [
    pytest.param({"fees": "-1"}, [("fees", "OUT_OF_RANGE")], id="negative-fees"),
    pytest.param({"amountPayed": "-0.01"}, [("amountPayed", "OUT_OF_RANGE")], id="negative-amount"),
    pytest.param({"status": 7}, [("status", "INVALID")], id="unknown-status"),
    pytest.param({"version": 5, "label": "x"}, [("version", "STALE_VERSION")], id="stale-version"),
])
def test_update_payment_rejects_bad_input(user_a, partial_payment, given, expected):
    # when
    with nothing_written():
        result = post(UPDATE_PAYMENT, {"input": {"id": str(partial_payment.id), **given}}, user=user_a)

    # then
    assert_mutation_errors(result, "updateInvoicePayment", expected)


def test_update_payment_of_a_cancelled_invoice_is_not_payable(user_a, rejected_payment_of_cancelled):
    # when
    with nothing_written():
        result = post(UPDATE_PAYMENT, {"input": {"id": str(rejected_payment_of_cancelled.id), "status": 1}}, user=user_a)

    # then
    assert_mutation_errors(result, "updateInvoicePayment", [("invoice", "NOT_PAYABLE")])


def test_update_payment_of_another_organisation_is_not_found(user_b, partial_payment):
    # when
    with nothing_written():
        result = post(UPDATE_PAYMENT, {"input": {"id": str(partial_payment.id), "label": "x"}}, user=user_b)

    # then
    assert_mutation_errors(result, "updateInvoicePayment", [("id", "NOT_FOUND")])


def test_update_invoice_payment_query_count(user_a, partial_payment):
    # when / then: 16, and the sum of the other accepted payments (OVERPAYMENT check)
    with assert_num_queries(16):
        result = post(UPDATE_PAYMENT, {"input": {"id": str(partial_payment.id), "label": "compté"}}, user=user_a)
    assert_mutation_ok(result, "updateInvoicePayment")
