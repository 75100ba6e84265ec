"""cancelInvoice: an issued invoice is cancelled by a credit note numbered in the same series;
drafts, paid invoices, credit notes and stale versions are refused with nothing written."""
from __future__ import annotations

from decimal import Decimal

from core.models import MutationLog
from invoice.constants import DocumentType, InvoiceStatus
from invoice.models import Invoice, InvoiceLineItem, InvoiceNumberSequence
from invoice.services.invoices import today
from tests.helpers.graphql import assert_mutation_errors, assert_mutation_ok, post
from tests.invoice.gql.helpers import assert_num_queries, mutation_log, number
from tests.invoice.helpers import nothing_written

CANCEL = """
mutation($input: CancelInvoiceMutationInput!) {
  cancelInvoice(input: $input) {
    clientMutationId internalId errors { field code message }
    invoice { status code isEditable }
    creditNote {
      status documentType code paymentReference note amountNet amountTotal dateInvoice
      relatedInvoice { code } lineItems { code quantity unitPrice amountNet amountTotal }
    }
  }
}"""


def test_cancel_invoice_issues_its_credit_note(user_a, org_a, validated_invoice):
    # when
    result = post(CANCEL, {"input": {"clientMutationId": "cancel-1", "id": str(validated_invoice.id), "version": 4,
                                     "reason": "mauvais destinataire"}}, user=user_a)

    # then
    payload = assert_mutation_ok(result, "cancelInvoice")
    credit = Invoice.objects.get(document_type=DocumentType.CREDIT_NOTE)
    assert (payload["clientMutationId"], payload["internalId"]) == ("cancel-1", str(credit.id))
    assert payload["invoice"] == {"status": "A_3", "code": number(org_a, 1), "isEditable": False}
    assert payload["creditNote"] == {
        "status": "A_1", "documentType": "CREDIT_NOTE", "code": number(org_a, 2), "paymentReference": number(org_a, 2),
        "note": f"Avoir annulant la facture {number(org_a, 1)} : mauvais destinataire",
        "amountNet": "-245.00", "amountTotal": "-289.50", "dateInvoice": str(today()),
        "relatedInvoice": {"code": number(org_a, 1)},
        "lineItems": [
            {"code": "L1", "quantity": "-2.0000", "unitPrice": "100.0000", "amountNet": "-200.00", "amountTotal": "-240.00"},
            {"code": "L2", "quantity": "-1.0000", "unitPrice": "50.0000", "amountNet": "-45.00", "amountTotal": "-49.50"},
        ],
    }
    assert Invoice.objects.get(pk=validated_invoice.pk).status == InvoiceStatus.CANCELLED
    assert InvoiceNumberSequence.objects.get(organization=org_a).last_number == 2
    assert (mutation_log("cancel-1").status, mutation_log("cancel-1").json_ext) == (
        MutationLog.Status.SUCCESS, {"internal_id": str(credit.id)},
    )


def test_cancel_a_draft_is_an_illegal_transition(user_a, draft_invoice):
    # when
    with nothing_written():
        result = post(CANCEL, {"input": {"id": str(draft_invoice.id)}}, user=user_a)

    # then
    assert_mutation_errors(result, "cancelInvoice", [("status", "ILLEGAL_TRANSITION")])


def test_cancel_a_paid_invoice_needs_its_payments_refunded(user_a, paid_invoice):
    # when
    with nothing_written():
        result = post(CANCEL, {"input": {"id": str(paid_invoice.id)}}, user=user_a)

    # then
    assert_mutation_errors(result, "cancelInvoice", [("amountPayed", "HAS_PAYMENTS")])


def test_cancel_a_partly_paid_invoice_needs_its_payments_refunded(user_a, validated_invoice, partial_payment):
    # when
    with nothing_written():
        result = post(CANCEL, {"input": {"id": str(validated_invoice.id)}}, user=user_a)

    # then
    assert_mutation_errors(result, "cancelInvoice", [("amountPayed", "HAS_PAYMENTS")])


def test_cancel_a_credit_note_is_an_illegal_transition(user_a, cancelled_invoice):
    # given
    credit = Invoice.objects.get(document_type=DocumentType.CREDIT_NOTE)

    # when
    with nothing_written():
        result = post(CANCEL, {"input": {"id": str(credit.id)}}, user=user_a)

    # then
    assert_mutation_errors(result, "cancelInvoice", [("documentType", "ILLEGAL_TRANSITION")])


def test_cancel_invoice_with_a_stale_version(user_a, validated_invoice):
    # when
    with nothing_written():
        result = post(CANCEL, {"input": {"id": str(validated_invoice.id), "version": 3}}, user=user_a)

    # then
    assert_mutation_errors(result, "cancelInvoice", [("version", "STALE_VERSION")])


def test_cancel_invoice_of_another_organisation_is_not_found(user_b, validated_invoice):
    # when
    with nothing_written():
        result = post(CANCEL, {"input": {"id": str(validated_invoice.id)}}, user=user_b)

    # then
    assert_mutation_errors(result, "cancelInvoice", [("id", "NOT_FOUND")])
    assert Invoice.objects.get(pk=validated_invoice.pk).status == InvoiceStatus.VALIDATED


def test_cancel_invoice_query_count(user_a, validated_invoice):
    # when / then: 32, and 1 for the orders the payment module frees (none here), and the series'
    # last issue date (the credit note's chronology), and the webhook endpoints that hear of it (#12)
    with assert_num_queries(34):
        result = post(CANCEL, {"input": {"id": str(validated_invoice.id)}}, user=user_a)
    assert_mutation_ok(result, "cancelInvoice")
    assert InvoiceLineItem.objects.filter(amount_net__lt=Decimal(0)).count() == 2
