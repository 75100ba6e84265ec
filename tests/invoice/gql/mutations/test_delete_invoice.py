"""deleteInvoice (openIMIS: `uuids` of raw UUIDs): soft-deletes unpaid drafts, all or none; an
issued or paid invoice is NOT_DELETABLE and the error names the position in `uuids`."""
from __future__ import annotations

import json
from string import Template

import pytest

from core.models import MutationLog
from invoice.constants import InvoiceStatus
from invoice.models import Invoice
from tests.helpers.graphql import assert_mutation_errors, assert_mutation_ok, post
from tests.invoice.gql.helpers import assert_num_queries, global_id, mutation_log
from tests.invoice.helpers import make_draft, nothing_written

DELETE = """
mutation($input: DeleteInvoiceMutationInput!) {
  deleteInvoice(input: $input) { clientMutationId internalId errors { field code message } }
}"""


def test_delete_invoice_soft_deletes_a_draft(user_a, draft_invoice):
    # when
    result = post(DELETE, {"input": {"clientMutationId": "del-1", "uuids": [str(draft_invoice.id)]}}, user=user_a)

    # then
    payload = assert_mutation_ok(result, "deleteInvoice")
    assert payload == {"clientMutationId": "del-1", "internalId": str(draft_invoice.id), "errors": []}
    invoice = Invoice.objects.get(pk=draft_invoice.pk)
    assert (invoice.is_deleted, invoice.status, invoice.history.first().history_change_reason) == (
        True, InvoiceStatus.DELETED, "invoice_delete",
    )
    assert (mutation_log("del-1").status, mutation_log("del-1").json_ext) == (
        MutationLog.Status.SUCCESS, {"internal_id": str(draft_invoice.id)},
    )


def test_delete_invoice_as_the_openimis_front_end_sends_it(user_a, draft_invoice):
    # given: fe-core formatMutation: values inlined, fields separated by newlines, one raw UUID
    document = Template("""mutation {
  deleteInvoice(
    input: {
      clientMutationId: "6f1c0c2b-7d3c-4c55-9a57-0b5e8e11aa00"
      clientMutationLabel: "Delete Invoice draft"
      uuids: ["$invoice_id"]
    }
  ) {
    clientMutationId
    internalId
  }
}""").substitute(invoice_id=draft_invoice.id)

    # when
    result = post(document, user=user_a)

    # then
    assert result == {"data": {"deleteInvoice": {"clientMutationId": "6f1c0c2b-7d3c-4c55-9a57-0b5e8e11aa00",
                                                 "internalId": str(draft_invoice.id)}}}
    assert Invoice.objects.get(pk=draft_invoice.pk).is_deleted is True
    assert mutation_log("6f1c0c2b-7d3c-4c55-9a57-0b5e8e11aa00").client_mutation_label == "Delete Invoice draft"


def test_delete_several_invoices_by_raw_and_relay_ids(user_a, draft_invoice, empty_draft):
    # when
    payload = assert_mutation_ok(post(DELETE, {"input": {"uuids": [
        str(draft_invoice.id), global_id("InvoiceGQLType", empty_draft.id)]}}, user=user_a), "deleteInvoice")

    # then: several objects, so no single internalId
    assert payload["internalId"] is None
    assert set(Invoice.objects.filter(is_deleted=True).values_list("pk", flat=True)) == {draft_invoice.pk, empty_draft.pk}


def test_delete_a_paid_invoice_is_not_deletable(user_a, paid_invoice):
    # when
    with nothing_written():
        result = post(DELETE, {"input": {"uuids": [str(paid_invoice.id)]}}, user=user_a)

    # then
    assert_mutation_errors(result, "deleteInvoice", [("uuids.0", "NOT_DELETABLE")])


def test_delete_is_all_or_nothing(user_a, org_a, validated_invoice):
    # given
    draft = make_draft(actor=user_a, organization=org_a)

    # when
    with nothing_written():
        result = post(DELETE, {"input": {"uuids": [str(draft.id), str(validated_invoice.id)]}}, user=user_a)

    # then
    assert_mutation_errors(result, "deleteInvoice", [("uuids.1", "NOT_DELETABLE")])
    assert Invoice.objects.get(pk=draft.pk).is_deleted is False


@pytest.mark.parametrize(("uuids", "expected"), [
    pytest.param([], [("uuids", "REQUIRED")], id="empty"),
    pytest.param(["0190f0a4-0000-7000-8000-000000000000"], [("uuids.0", "NOT_FOUND")], id="unknown"),
    pytest.param(["zzz"], [("uuids.0", "INVALID")], id="not-an-id"),
    # found by fuzzing: an empty or null entry was NOT_FOUND "invoice None not found"
    pytest.param([""], [("uuids.0", "REQUIRED")], id="empty-string"),
    pytest.param([None], [("uuids.0", "REQUIRED")], id="null"),
])
def test_delete_invoice_bad_uuids(user_a, draft_invoice, uuids, expected):
    # when
    with nothing_written():
        result = post(DELETE, {"input": {"uuids": uuids}}, user=user_a)

    # then
    assert_mutation_errors(result, "deleteInvoice", expected)


def test_delete_invoice_of_another_organisation_is_not_found(user_b, draft_invoice):
    # when
    with nothing_written():
        result = post(DELETE, {"input": {"uuids": [str(draft_invoice.id)]}}, user=user_b)

    # then
    assert_mutation_errors(result, "deleteInvoice", [("uuids.0", "NOT_FOUND")])


def test_delete_invoice_query_count(user_a, draft_invoice):
    # when / then
    with assert_num_queries(15):
        result = post(DELETE, {"input": {"uuids": [str(draft_invoice.id)]}}, user=user_a)
    assert_mutation_ok(result, "deleteInvoice")


def test_a_refused_delete_from_the_card_is_reported_in_the_mutation_log(user_a, validated_invoice):
    # given: the card's delete button on an issued invoice, as fe-invoice sends it
    document = Template("""mutation {
  deleteInvoice(
    input: {
      clientMutationId: "0e7c2c7d-1111-4c55-9a57-0b5e8e11aa01"
      clientMutationLabel: "Delete Invoice $code"
      uuids: ["$invoice_id"]
    }
  ) {
    clientMutationId
    internalId
  }
}""").substitute(invoice_id=validated_invoice.id, code=validated_invoice.code)

    # when
    with nothing_written():
        result = post(document, user=user_a)
    # and fe-core's journal polls the log (fetchMutation's projection)
    poll = post('{ mutationLogs(clientMutationId: "0e7c2c7d-1111-4c55-9a57-0b5e8e11aa01") { edges { node { '
                "id,status,error,clientMutationId,clientMutationLabel,clientMutationDetails,requestDateTime,jsonExt,"
                "autogeneratedCode } } } }", user=user_a)

    # then: HTTP 200 with a non-null payload, and the refusal where the journal reads it:
    # status 1 and `error` a JSON list of {code, message} that its popover prints "[code] message"
    assert result == {"data": {"deleteInvoice": {"clientMutationId": "0e7c2c7d-1111-4c55-9a57-0b5e8e11aa01",
                                                 "internalId": None}}}
    node = poll["data"]["mutationLogs"]["edges"][0]["node"]
    assert (node["status"], node["clientMutationLabel"]) == (1, f"Delete Invoice {validated_invoice.code}")
    assert json.loads(node["error"]) == [{
        "field": "uuids.0", "code": "NOT_DELETABLE",
        "message": "cannot delete an invoice in status validated (allowed from: draft)"}]
    assert Invoice.objects.get(pk=validated_invoice.pk).is_deleted is False
