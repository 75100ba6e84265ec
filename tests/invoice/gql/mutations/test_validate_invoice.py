"""validateInvoice: a draft is issued with the next gap-free number of its organisation; anything
else is an error that consumes no number and writes nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest

from core.models import MutationLog
from invoice.constants import EventType
from invoice.models import Invoice, InvoiceEvent, InvoiceNumberSequence
from invoice.services.invoices import today
from tests.helpers.graphql import assert_mutation_errors, assert_mutation_ok, post
from tests.invoice.gql.helpers import (
    assert_num_queries,
    mutation_document,
    mutation_log,
    number,
)
from tests.invoice.helpers import buyer_data, make_draft, nothing_written

VALIDATE = """
mutation($input: ValidateInvoiceMutationInput!) {
  validateInvoice(input: $input) {
    clientMutationId internalId errors { field code message }
    invoice { status code paymentReference amountNet amountTotal amountPayed dateInvoice isEditable version }
  }
}"""


def test_validate_invoice_issues_the_first_number_of_the_year(user_a, org_a, draft_invoice):
    # when
    result = post(VALIDATE, {"input": {"clientMutationId": "val-1", "id": str(draft_invoice.id), "version": 3}},
                  user=user_a)

    # then
    payload = assert_mutation_ok(result, "validateInvoice")
    assert payload["clientMutationId"] == "val-1"
    assert payload["internalId"] == str(draft_invoice.id)
    assert payload["invoice"] == {
        "status": "A_1", "code": number(org_a, 1), "paymentReference": number(org_a, 1),
        "amountNet": "245.00", "amountTotal": "289.50", "amountPayed": "0.00", "dateInvoice": str(today()),
        "isEditable": False, "version": 4,
    }
    assert InvoiceNumberSequence.objects.get(organization=org_a).last_number == 1
    event = InvoiceEvent.objects.filter(invoice=draft_invoice, event_type=EventType.STATUS).order_by("-date_created")[0]
    assert event.message == f"status draft → validated: number {number(org_a, 1)}"
    assert (mutation_log("val-1").status, mutation_log("val-1").json_ext) == (
        MutationLog.Status.SUCCESS, {"internal_id": str(draft_invoice.id)},
    )


def test_validate_invoice_numbers_follow_each_other(user_a, org_a, validated_invoice):
    # given: validated_invoice took number 1; a second draft
    second = make_draft(actor=user_a, organization=org_a)

    # when
    payload = assert_mutation_ok(post(VALIDATE, {"input": {"id": str(second.id)}}, user=user_a), "validateInvoice")

    # then
    assert payload["invoice"]["code"] == number(org_a, 2)


def test_validate_a_cancelled_invoice_is_an_illegal_transition(user_a, org_a, cancelled_invoice):
    # when
    with nothing_written():
        result = post(VALIDATE, {"input": {"id": str(cancelled_invoice.id)}}, user=user_a)

    # then
    assert_mutation_errors(result, "validateInvoice", [("status", "ILLEGAL_TRANSITION")])
    assert InvoiceNumberSequence.objects.get(organization=org_a).last_number == 2


def test_validate_a_validated_invoice_is_an_illegal_transition(user_a, validated_invoice):
    # when
    with nothing_written():
        result = post(VALIDATE, {"input": {"id": str(validated_invoice.id)}}, user=user_a)

    # then
    assert_mutation_errors(result, "validateInvoice", [("status", "ILLEGAL_TRANSITION")])


def test_validate_a_draft_without_lines_consumes_no_number(user_a, empty_draft):
    # when
    with nothing_written():
        result = post(VALIDATE, {"input": {"id": str(empty_draft.id)}}, user=user_a)

    # then
    assert_mutation_errors(result, "validateInvoice", [("lineItems", "NO_LINES")])
    assert not InvoiceNumberSequence.objects.exists()
    assert Invoice.objects.get(pk=empty_draft.pk).code == ""


def test_validate_invoice_with_a_stale_version(user_a, draft_invoice):
    # when
    with nothing_written():
        result = post(VALIDATE, {"input": {"id": str(draft_invoice.id), "version": 2}}, user=user_a)

    # then
    assert_mutation_errors(result, "validateInvoice", [("version", "STALE_VERSION")])


@pytest.mark.parametrize("who", ["unknown", "other-organisation"])
def test_validate_invoice_not_found(user_a, user_b, draft_invoice, who):
    # given
    ident, user = (("0190f0a4-0000-7000-8000-000000000000", user_a) if who == "unknown"
                   else (str(draft_invoice.id), user_b))

    # when
    with nothing_written():
        result = post(VALIDATE, {"input": {"id": ident}}, user=user)

    # then
    assert_mutation_errors(result, "validateInvoice", [("id", "NOT_FOUND")])


def test_validate_invoice_query_count(user_a, draft_invoice):
    # when / then
    # 21, and the buyer (the operator) and the series' last issue date (chronology) since issue 11,
    # and the webhook endpoints that hear of it (delivery, #12)
    with assert_num_queries(23):
        result = post(VALIDATE, {"input": {"id": str(draft_invoice.id)}}, user=user_a)
    assert_mutation_ok(result, "validateInvoice")


def test_validate_a_bare_draft_is_refused_without_using_a_number(user_a, org_a):
    # given: the issue's reproduction, over GraphQL: createInvoice(input: {}) + one line
    created = assert_mutation_ok(post(mutation_document("createInvoice"), {"input": {}}, user=user_a), "createInvoice")
    assert_mutation_ok(post(mutation_document("createInvoiceLineItem"), {"input": {
        "invoiceId": created["internalId"], "description": "Avis de décès", "quantity": "1", "unitPrice": "89"}},
        user=user_a), "createInvoiceLineItem")

    # when
    with nothing_written():
        result = post(VALIDATE, {"input": {"clientMutationId": "val-bare", "id": created["internalId"]}}, user=user_a)

    # then
    assert_mutation_errors(result, "validateInvoice", [("thirdpartyId", "BUYER_REQUIRED")])
    assert mutation_log("val-bare").status == MutationLog.Status.ERROR
    assert not InvoiceNumberSequence.objects.filter(organization=org_a, last_number__gt=0).exists()


def test_validate_reports_every_broken_rule_at_once(user_a, org_a):
    # given: a buyer without e-mail, a line without price, due before issue
    issued_on = today() - timedelta(days=1)
    draft = make_draft(actor=user_a, organization=org_a, **buyer_data(org_a, code="no-mail", email=""),
                       date_invoice=issued_on, date_due=issued_on - timedelta(days=1), lines=(
                           {"code": "L1", "quantity": "1", "unit_price": "10"},
                           {"code": "L2", "quantity": "1", "unit_price": "0"}))
    expected = [("thirdparty.email", "BUYER_NO_ELECTRONIC_ADDRESS"), ("lineItems.1.unitPrice", "LINE_WITHOUT_PRICE"),
                ("dateDue", "DUE_BEFORE_ISSUE")]

    # when
    with nothing_written():
        result = post(VALIDATE, {"input": {"id": str(draft.id)}}, user=user_a)

    # then
    assert_mutation_errors(result, "validateInvoice", expected)
