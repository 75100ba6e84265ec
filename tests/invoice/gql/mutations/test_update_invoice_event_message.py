"""updateInvoiceEventMessage: a user edits only their own MESSAGE events (history kept); other
users' messages, automatic events, stale versions and other tenants' events write nothing."""
from __future__ import annotations

import pytest

from core.models import MutationLog
from invoice.constants import EventType
from invoice.models import InvoiceEvent
from tests.helpers.graphql import assert_mutation_errors, assert_mutation_ok, post
from tests.invoice.gql.helpers import assert_num_queries, mutation_log
from tests.invoice.helpers import nothing_written

UPDATE_MESSAGE = """
mutation($input: UpdateInvoiceEventMessageMutationInput!) {
  updateInvoiceEventMessage(input: $input) {
    clientMutationId internalId errors { field code message }
    invoiceEvent { eventType message userName editable version }
  }
}"""


def test_update_own_message(user_a, message):
    # when
    result = post(UPDATE_MESSAGE, {"input": {"clientMutationId": "upd-msg-1", "id": str(message.id), "version": 1,
                                             "message": "Relancé par courrier"}}, user=user_a)

    # then
    payload = assert_mutation_ok(result, "updateInvoiceEventMessage")
    assert (payload["clientMutationId"], payload["internalId"]) == ("upd-msg-1", str(message.id))
    assert payload["invoiceEvent"] == {
        "eventType": "A_0", "message": "Relancé par courrier", "userName": "admin-a@molink.test", "editable": True,
        "version": 2,
    }
    assert [h.message for h in InvoiceEvent.history.filter(id=message.id).order_by("history_date")] == [
        "Relancé par téléphone", "Relancé par courrier",
    ]
    assert (mutation_log("upd-msg-1").status, mutation_log("upd-msg-1").json_ext) == (
        MutationLog.Status.SUCCESS, {"internal_id": str(message.id)},
    )


def test_editing_someone_elses_message_is_refused(accountant_a, message):
    # when
    with nothing_written():
        result = post(UPDATE_MESSAGE, {"input": {"id": str(message.id), "message": "réécrit"}}, user=accountant_a)

    # then
    assert_mutation_errors(result, "updateInvoiceEventMessage", [("id", "NOT_OWN_MESSAGE")])


def test_automatic_events_are_read_only(user_a, draft_invoice):
    # given
    status_event = InvoiceEvent.objects.get(invoice=draft_invoice, event_type=EventType.STATUS)

    # when
    with nothing_written():
        result = post(UPDATE_MESSAGE, {"input": {"id": str(status_event.id), "message": "réécrit"}}, user=user_a)

    # then
    assert_mutation_errors(result, "updateInvoiceEventMessage", [("eventType", "NOT_A_MESSAGE")])


@pytest.mark.parametrize(("given", "expected"), [
    pytest.param({"version": 3, "message": "x"}, [("version", "STALE_VERSION")], id="stale-version"),
    pytest.param({"message": ""}, [("message", "REQUIRED")], id="blank"),
])
def test_update_message_rejects_bad_input(user_a, message, given, expected):
    # when
    with nothing_written():
        result = post(UPDATE_MESSAGE, {"input": {"id": str(message.id), **given}}, user=user_a)

    # then
    assert_mutation_errors(result, "updateInvoiceEventMessage", expected)


def test_update_message_of_another_organisation_is_not_found(user_b, message):
    # when
    with nothing_written():
        result = post(UPDATE_MESSAGE, {"input": {"id": str(message.id), "message": "x"}}, user=user_b)

    # then
    assert_mutation_errors(result, "updateInvoiceEventMessage", [("id", "NOT_FOUND")])


def test_update_invoice_event_message_query_count(user_a, message):
    # when / then
    with assert_num_queries(12):
        result = post(UPDATE_MESSAGE, {"input": {"id": str(message.id), "message": "compté"}}, user=user_a)
    assert_mutation_ok(result, "updateInvoiceEventMessage")
