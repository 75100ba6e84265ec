"""createInvoicePayment: accepted payments raise amountPayed and mark the invoice PAID once they
cover its total; drafts, cancelled invoices and bad amounts are payload errors writing nothing."""
from __future__ import annotations

import pytest

from core.models import MutationLog
from invoice.constants import EventType
from invoice.models import InvoiceEvent, InvoicePayment
from tests.helpers.graphql import assert_mutation_errors, assert_mutation_ok, post
from tests.invoice.gql.helpers import assert_num_queries, mutation_log
from tests.invoice.helpers import nothing_written

CREATE_PAYMENT = """
mutation($input: CreateInvoicePaymentMutationInput!) {
  createInvoicePayment(input: $input) {
    clientMutationId internalId errors { field code message }
    invoicePayment {
      status codeExt label codeRcp codeReceipt amountPayed fees amountReceived datePayment version
      invoice { status amountPayed datePayed }
    }
  }
}"""


def test_create_partial_payment_keeps_the_invoice_validated(user_a, validated_invoice):
    # given
    given = {"clientMutationId": "pay-1", "invoiceId": str(validated_invoice.id), "amountPayed": "100.00",
             "fees": "1.50", "codeExt": "VIR-0001", "label": "virement", "codeRcp": "RCP", "codeReceipt": "R-1",
             "datePayment": "2026-04-02"}

    # when
    payload = assert_mutation_ok(post(CREATE_PAYMENT, {"input": given}, user=user_a), "createInvoicePayment")

    # then
    payment = InvoicePayment.objects.get()
    assert (payload["clientMutationId"], payload["internalId"]) == ("pay-1", str(payment.id))
    assert payload["invoicePayment"] == {
        "status": "A_1", "codeExt": "VIR-0001", "label": "virement", "codeRcp": "RCP", "codeReceipt": "R-1",
        "amountPayed": "100.00", "fees": "1.50", "amountReceived": "100.00", "datePayment": "2026-04-02", "version": 1,
        "invoice": {"status": "A_1", "amountPayed": "100.00", "datePayed": None},
    }
    event = InvoiceEvent.objects.filter(invoice=validated_invoice, event_type=EventType.PAYMENT).get()
    assert event.message == "payment (VIR-0001) recorded: 100.00 EUR, accepted"
    assert (mutation_log("pay-1").status, mutation_log("pay-1").json_ext) == (
        MutationLog.Status.SUCCESS, {"internal_id": str(payment.id)},
    )


def test_create_payment_covering_the_total_marks_the_invoice_paid(user_a, validated_invoice):
    # when
    payload = assert_mutation_ok(post(CREATE_PAYMENT, {"input": {
        "invoiceId": str(validated_invoice.id), "amountPayed": "289.50", "amountReceived": "288.00", "fees": "1.50",
        "datePayment": "2026-04-03",
    }}, user=user_a), "createInvoicePayment")

    # then
    assert payload["invoicePayment"]["invoice"] == {"status": "A_2", "amountPayed": "289.50", "datePayed": "2026-04-03"}
    assert payload["invoicePayment"]["amountReceived"] == "288.00"


BAD_PAYMENTS = [
    pytest.param({"amountPayed": "-1"}, [("amountPayed", "OUT_OF_RANGE")], id="negative-amount"),
    pytest.param({"amountPayed": "10", "fees": "-0.50"}, [("fees", "OUT_OF_RANGE")], id="negative-fees"),
    pytest.param({"amountPayed": "10", "amountReceived": "-1"}, [("amountReceived", "OUT_OF_RANGE")],
                 id="negative-received"),
    pytest.param({"amountPayed": "-1", "fees": "-1"}, [("amountPayed", "OUT_OF_RANGE"), ("fees", "OUT_OF_RANGE")],
                 id="every-error"),
    pytest.param({"amountPayed": "10", "status": 9}, [("status", "INVALID")], id="unknown-status"),
    pytest.param({"amountPayed": "10", "label": "l" * 256}, [("label", "TOO_LONG")], id="label-too-long"),
]


@pytest.mark.parametrize(("given", "expected"), BAD_PAYMENTS)
def test_create_payment_rejects_bad_input(user_a, validated_invoice, given, expected):
    # when
    with nothing_written():
        result = post(CREATE_PAYMENT, {"input": {"invoiceId": str(validated_invoice.id), **given}}, user=user_a)

    # then
    assert_mutation_errors(result, "createInvoicePayment", expected)


@pytest.mark.parametrize("invoice", ["cancelled_invoice", "draft_invoice"])
def test_create_payment_on_a_cancelled_invoice_or_a_draft_is_not_payable(user_a, request, invoice):
    # given
    invoice = request.getfixturevalue(invoice)

    # when
    with nothing_written():
        result = post(CREATE_PAYMENT, {"input": {"invoiceId": str(invoice.id), "amountPayed": "10"}}, user=user_a)

    # then
    assert_mutation_errors(result, "createInvoicePayment", [("invoice", "NOT_PAYABLE")])


def test_create_payment_on_another_organisations_invoice_is_not_found(user_b, validated_invoice):
    # when
    with nothing_written():
        result = post(CREATE_PAYMENT, {"input": {"invoiceId": str(validated_invoice.id), "amountPayed": "10"}},
                      user=user_b)

    # then
    assert_mutation_errors(result, "createInvoicePayment", [("invoiceId", "NOT_FOUND")])


def test_create_invoice_payment_query_count(user_a, validated_invoice):
    # when / then: 19, and the sum of the other accepted payments (OVERPAYMENT check); the date of
    # the last payment (date_payed) comes with the sums, in the same aggregate; and the webhook
    # endpoints that hear of the invoice paid (delivery, #12)
    with assert_num_queries(20):
        result = post(CREATE_PAYMENT, {"input": {"invoiceId": str(validated_invoice.id), "amountPayed": "289.50"}},
                      user=user_a)
    assert_mutation_ok(result, "createInvoicePayment")
