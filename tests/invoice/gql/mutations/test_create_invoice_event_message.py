"""createInvoiceEventMessage: a MESSAGE in the invoice's events tab, signed by the caller; empty
or too long messages and other tenants' invoices are payload errors writing nothing."""
from __future__ import annotations

from string import Template

import pytest

from core.models import MutationLog
from invoice.constants import EventType
from invoice.models import InvoiceEvent
from tests.helpers.graphql import assert_mutation_errors, assert_mutation_ok, post
from tests.invoice.gql.helpers import assert_num_queries, mutation_log
from tests.invoice.helpers import nothing_written

CREATE_MESSAGE = """
mutation($input: CreateInvoiceEventMessageMutationInput!) {
  createInvoiceEventMessage(input: $input) {
    clientMutationId internalId errors { field code message }
    invoiceEvent { eventType message userName editable version invoice { code } }
  }
}"""


@pytest.mark.parametrize("event_type", [None, 2])
def test_create_message_on_an_issued_invoice(user_a, org_a, validated_invoice, event_type):
    # given: eventType is ignored: a message is always MESSAGE (0)
    given = {"clientMutationId": "msg-1", "invoiceId": str(validated_invoice.id), "message": "  Relancé par téléphone ",
             "eventType": event_type}

    # when
    payload = assert_mutation_ok(post(CREATE_MESSAGE, {"input": given}, user=user_a), "createInvoiceEventMessage")

    # then
    event = InvoiceEvent.objects.get(event_type=EventType.MESSAGE)
    assert (payload["clientMutationId"], payload["internalId"]) == ("msg-1", str(event.id))
    assert payload["invoiceEvent"] == {
        "eventType": "A_0", "message": "Relancé par téléphone", "userName": "admin-a@molink.test", "editable": True,
        "version": 1, "invoice": {"code": validated_invoice.code},
    }
    assert (event.user, event.history.count()) == (user_a, 1)
    assert (mutation_log("msg-1").status, mutation_log("msg-1").json_ext) == (
        MutationLog.Status.SUCCESS, {"internal_id": str(event.id)},
    )


def test_create_message_as_the_openimis_front_end_sends_it(user_a, draft_invoice):
    # given: formatMutation with an Int literal eventType (always 0 in the dialog)
    document = Template("""mutation {
  createInvoiceEventMessage(
    input: {
      clientMutationId: "0b5e8e11-7d3c-4c55-9a57-6f1c0c2b0001"
      clientMutationLabel: "Create Invoice Event Message for draft"
      invoiceId: "$invoice_id"
      eventType: 0
      message: "Client prévenu"
    }
  ) {
    clientMutationId
    internalId
  }
}""").substitute(invoice_id=draft_invoice.id)

    # when
    result = post(document, user=user_a)

    # then
    event = InvoiceEvent.objects.get(event_type=EventType.MESSAGE)
    assert result == {"data": {"createInvoiceEventMessage": {
        "clientMutationId": "0b5e8e11-7d3c-4c55-9a57-6f1c0c2b0001", "internalId": str(event.id)}}}
    assert event.message == "Client prévenu"


@pytest.mark.parametrize(("message", "expected"), [
    pytest.param("   ", [("message", "REQUIRED")], id="blank"),
    pytest.param("m" * 4001, [("message", "TOO_LONG")], id="too-long"),
])
def test_create_message_rejects_bad_messages(user_a, draft_invoice, message, expected):
    # when
    with nothing_written():
        result = post(CREATE_MESSAGE, {"input": {"invoiceId": str(draft_invoice.id), "message": message}}, user=user_a)

    # then
    assert_mutation_errors(result, "createInvoiceEventMessage", expected)


def test_create_message_on_another_organisations_invoice_is_not_found(user_b, draft_invoice):
    # when
    with nothing_written():
        result = post(CREATE_MESSAGE, {"input": {"invoiceId": str(draft_invoice.id), "message": "coucou"}}, user=user_b)

    # then
    assert_mutation_errors(result, "createInvoiceEventMessage", [("invoiceId", "NOT_FOUND")])


def test_create_invoice_event_message_query_count(user_a, draft_invoice):
    # when / then
    with assert_num_queries(10):
        result = post(CREATE_MESSAGE, {"input": {"invoiceId": str(draft_invoice.id), "message": "compté"}}, user=user_a)
    assert_mutation_ok(result, "createInvoiceEventMessage")


@pytest.mark.parametrize(("visible", "expected"), [(None, False), (False, False), (True, True)])
def test_a_message_is_a_staff_note_unless_addressed_to_the_customer(user_a, validated_invoice, visible, expected):
    # given
    given = {"invoiceId": str(validated_invoice.id), "message": "Votre facture est disponible",
             "visibleToCustomer": visible}
    query = CREATE_MESSAGE.replace("invoice { code }", "invoice { code } visibleToCustomer")

    # when
    payload = assert_mutation_ok(post(query, {"input": given}, user=user_a), "createInvoiceEventMessage")

    # then
    assert payload["invoiceEvent"]["visibleToCustomer"] is expected
    event = InvoiceEvent.objects.get(event_type=EventType.MESSAGE)
    assert event.json_ext == ({"audience": "customer"} if expected else None)
