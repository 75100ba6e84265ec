"""deleteInvoicePayment: soft-deletes payments (all or none) and re-derives the invoice's status;
payments of cancelled invoices and of other organisations are refused, naming `uuids.<n>`."""
from __future__ import annotations

from core.models import MutationLog
from invoice.constants import InvoiceStatus
from invoice.models import Invoice, InvoicePayment
from tests.helpers.graphql import assert_mutation_errors, assert_mutation_ok, post
from tests.invoice.gql.helpers import assert_num_queries, mutation_log
from tests.invoice.helpers import nothing_written

DELETE_PAYMENT = """
mutation($input: DeleteInvoicePaymentMutationInput!) {
  deleteInvoicePayment(input: $input) { clientMutationId internalId errors { field code message } }
}"""


def test_deleting_the_payment_of_a_paid_invoice_reopens_it(user_a, paid_invoice, full_payment):
    # when
    result = post(DELETE_PAYMENT, {"input": {"clientMutationId": "del-pay-1", "uuids": [str(full_payment.id)]}},
                  user=user_a)

    # then
    payload = assert_mutation_ok(result, "deleteInvoicePayment")
    assert payload == {"clientMutationId": "del-pay-1", "internalId": str(full_payment.id), "errors": []}
    invoice = Invoice.objects.get(pk=paid_invoice.pk)
    assert (invoice.status, str(invoice.amount_payed), invoice.date_payed) == (InvoiceStatus.VALIDATED, "0.00", None)
    assert InvoicePayment.objects.get(pk=full_payment.pk).is_deleted is True
    assert (mutation_log("del-pay-1").status, mutation_log("del-pay-1").json_ext) == (
        MutationLog.Status.SUCCESS, {"internal_id": str(full_payment.id)},
    )


def test_delete_payment_of_a_cancelled_invoice_is_not_payable(user_a, rejected_payment_of_cancelled):
    # when
    with nothing_written():
        result = post(DELETE_PAYMENT, {"input": {"uuids": [str(rejected_payment_of_cancelled.id)]}}, user=user_a)

    # then
    assert_mutation_errors(result, "deleteInvoicePayment", [("uuids.0", "NOT_PAYABLE")])


def test_delete_payment_of_another_organisation_is_not_found(user_b, partial_payment):
    # when
    with nothing_written():
        result = post(DELETE_PAYMENT, {"input": {"uuids": [str(partial_payment.id)]}}, user=user_b)

    # then
    assert_mutation_errors(result, "deleteInvoicePayment", [("uuids.0", "NOT_FOUND")])


def test_delete_payments_is_all_or_nothing(user_a, partial_payment):
    # when
    with nothing_written():
        result = post(DELETE_PAYMENT, {"input": {"uuids": [str(partial_payment.id), "0190f0a4-0000-7000-8000-000000000000"]}},
                      user=user_a)

    # then
    assert_mutation_errors(result, "deleteInvoicePayment", [("uuids.1", "NOT_FOUND")])


def test_delete_invoice_payment_query_count(user_a, partial_payment):
    # when / then
    with assert_num_queries(17):
        result = post(DELETE_PAYMENT, {"input": {"uuids": [str(partial_payment.id)]}}, user=user_a)
    assert_mutation_ok(result, "deleteInvoicePayment")


def test_delete_payment_invoice_from_the_payments_tab_hides_the_row(user_a, partial_payment):
    # given: the tab's list as fe-invoice fetches it (subjectIds of raw UUIDs, isDeleted: false)
    invoice_id = partial_payment.invoice_id
    listing = (f'{{ paymentInvoice(subjectIds: ["{invoice_id}"],isDeleted: false,first: 10,orderBy: ["codeExt"]) '
               "{ totalCount edges { node { id,codeExt,amountReceived } } } }")
    assert post(listing, user=user_a)["data"]["paymentInvoice"]["totalCount"] == 1

    # when: its delete button, as fe-invoice sends it
    result = post('mutation {\n  deletePaymentInvoice(\n    input: {\n      clientMutationId: "del-tab-1"\n'
                  '      clientMutationLabel: "Delete payment virement"\n'
                  f'      uuids: ["{partial_payment.id}"]\n    }}\n  ) {{\n    clientMutationId\n    internalId\n  }}\n}}',
                  user=user_a)

    # then: done, logged, and the next fetch of the tab no longer lists it
    assert result == {"data": {"deletePaymentInvoice": {"clientMutationId": "del-tab-1",
                                                        "internalId": str(partial_payment.id)}}}
    assert mutation_log("del-tab-1").status == MutationLog.Status.SUCCESS
    assert post(listing, user=user_a)["data"]["paymentInvoice"] == {"totalCount": 0, "edges": []}
    assert InvoicePayment.objects.get(pk=partial_payment.pk).is_deleted is True
