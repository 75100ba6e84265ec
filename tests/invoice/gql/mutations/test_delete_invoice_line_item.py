"""deleteInvoiceLineItem: removes lines of drafts (soft, all or none) and recomputes the invoice;
lines of issued invoices and of other organisations are refused, naming `uuids.<n>`."""
from __future__ import annotations

from core.models import MutationLog
from invoice.models import Invoice, InvoiceLineItem
from tests.helpers.graphql import assert_mutation_errors, assert_mutation_ok, post
from tests.invoice.gql.helpers import assert_num_queries, mutation_log
from tests.invoice.helpers import make_draft, nothing_written

DELETE_LINE = """
mutation($input: DeleteInvoiceLineItemMutationInput!) {
  deleteInvoiceLineItem(input: $input) { clientMutationId internalId errors { field code message } }
}"""


def test_delete_line_recomputes_the_invoice(user_a, draft_invoice, lines):
    # when
    result = post(DELETE_LINE, {"input": {"clientMutationId": "del-line-1", "uuids": [str(lines[1].id)]}}, user=user_a)

    # then: only L1 is left: 200.00 + 20 % = 240.00
    payload = assert_mutation_ok(result, "deleteInvoiceLineItem")
    assert payload == {"clientMutationId": "del-line-1", "internalId": str(lines[1].id), "errors": []}
    invoice = Invoice.objects.get(pk=draft_invoice.pk)
    assert (str(invoice.amount_net), str(invoice.amount_total), InvoiceLineItem.objects.get(pk=lines[1].pk).is_deleted) == (
        "200.00", "240.00", True,
    )
    assert (mutation_log("del-line-1").status, mutation_log("del-line-1").json_ext) == (
        MutationLog.Status.SUCCESS, {"internal_id": str(lines[1].id)},
    )


def test_delete_lines_is_all_or_nothing_and_refuses_issued_invoices(user_a, org_a, validated_lines):
    # given: a line of a fresh draft, then a line of the issued invoice
    draft_line = InvoiceLineItem.objects.filter(invoice=make_draft(actor=user_a, organization=org_a)).first()

    # when
    with nothing_written():
        result = post(DELETE_LINE, {"input": {"uuids": [str(draft_line.id), str(validated_lines[0].id)]}}, user=user_a)

    # then
    assert_mutation_errors(result, "deleteInvoiceLineItem", [("uuids.1", "NOT_EDITABLE")])
    assert InvoiceLineItem.objects.get(pk=draft_line.pk).is_deleted is False


def test_delete_line_of_another_organisation_is_not_found(user_b, lines):
    # when
    with nothing_written():
        result = post(DELETE_LINE, {"input": {"uuids": [str(lines[0].id)]}}, user=user_b)

    # then
    assert_mutation_errors(result, "deleteInvoiceLineItem", [("uuids.0", "NOT_FOUND")])


def test_delete_line_without_uuids(user_a, lines):
    # when
    with nothing_written():
        result = post(DELETE_LINE, {"input": {"uuids": []}}, user=user_a)

    # then
    assert_mutation_errors(result, "deleteInvoiceLineItem", [("uuids", "REQUIRED")])


def test_delete_invoice_line_item_query_count(user_a, lines):
    # when / then
    with assert_num_queries(16):
        result = post(DELETE_LINE, {"input": {"uuids": [str(lines[0].id)]}}, user=user_a)
    assert_mutation_ok(result, "deleteInvoiceLineItem")
