"""updateInvoice: a draft's header changes under its optimistic `version`; issued invoices,
stale versions, bad values and other tenants' ids are payload errors that write nothing."""
from __future__ import annotations

import pytest

from core.models import MutationLog
from invoice.models import Invoice
from tests.helpers.graphql import assert_mutation_errors, assert_mutation_ok, post
from tests.invoice.gql.helpers import assert_num_queries, global_id, mutation_log
from tests.invoice.helpers import nothing_written

UPDATE = """
mutation($input: UpdateInvoiceMutationInput!) {
  updateInvoice(input: $input) {
    clientMutationId internalId errors { field code message }
    invoice { status codeTp note dateDue currencyCode subjectOption { code } amountNet amountTotal version }
  }
}"""


def test_update_invoice_changes_the_draft_and_bumps_its_version(user_a, org_a, draft_invoice):
    # given
    given = {"clientMutationId": "upd-1", "id": str(draft_invoice.id), "version": 3, "codeTp": "TP-7",
             "note": "Période de mars", "dateDue": "2026-04-30", "subjectType": "organization",
             "subjectId": str(org_a.id)}

    # when
    payload = assert_mutation_ok(post(UPDATE, {"input": given}, user=user_a), "updateInvoice")

    # then
    assert payload["clientMutationId"] == "upd-1"
    assert payload["internalId"] == str(draft_invoice.id)
    assert payload["invoice"] == {
        "status": "A_0", "codeTp": "TP-7", "note": "Période de mars", "dateDue": "2026-04-30", "currencyCode": "EUR",
        "subjectOption": {"code": "org-a"}, "amountNet": "245.00", "amountTotal": "289.50", "version": 4,
    }
    invoice = Invoice.objects.get(pk=draft_invoice.pk)
    assert (invoice.code_tp, invoice.version, invoice.history.first().history_change_reason) == (
        "TP-7", 4, "invoice_update",
    )
    assert (mutation_log("upd-1").status, mutation_log("upd-1").json_ext) == (
        MutationLog.Status.SUCCESS, {"internal_id": str(draft_invoice.id)},
    )


def test_update_invoice_accepts_a_relay_global_id(user_a, draft_invoice):
    # when
    payload = assert_mutation_ok(post(UPDATE, {"input": {
        "id": global_id("InvoiceGQLType", draft_invoice.id), "note": "relay",
    }}, user=user_a), "updateInvoice")

    # then
    assert (payload["internalId"], payload["invoice"]["note"]) == (str(draft_invoice.id), "relay")


def test_update_invoice_currency_recomputes_the_lines(user_a, draft_invoice):
    # when
    payload = assert_mutation_ok(post(UPDATE, {"input": {"id": str(draft_invoice.id), "currencyCode": "JPY"}},
                                      user=user_a), "updateInvoice")

    # then: 2 × 100 = 200 at 20 % → 40; 45 at 10 % → 4.5 → 5 (no minor unit in JPY)
    assert (payload["invoice"]["currencyCode"], payload["invoice"]["amountNet"], payload["invoice"]["amountTotal"]) == (
        "JPY", "245.00", "290.00",
    )


def test_update_invoice_of_a_validated_invoice_is_not_editable(user_a, validated_invoice):
    # when
    with nothing_written():
        result = post(UPDATE, {"input": {"id": str(validated_invoice.id), "note": "trop tard"}}, user=user_a)

    # then
    assert_mutation_errors(result, "updateInvoice", [("status", "NOT_EDITABLE")])


def test_update_invoice_with_a_stale_version(user_a, draft_invoice):
    # given: the two lines moved the draft to version 3
    assert Invoice.objects.get(pk=draft_invoice.pk).version == 3

    # when
    with nothing_written():
        result = post(UPDATE, {"input": {"id": str(draft_invoice.id), "version": 1, "note": "x"}}, user=user_a)

    # then
    assert_mutation_errors(result, "updateInvoice", [("version", "STALE_VERSION")])


@pytest.mark.parametrize(("given", "expected"), [
    pytest.param({"currencyCode": "EURO"}, [("currencyCode", "INVALID_CURRENCY")], id="currency-EURO"),
    pytest.param({"subjectType": "planet", "subjectId": "0190f0a4-0000-7000-8000-000000000000"},
                 [("subjectType", "UNKNOWN_PICKER_TYPE")], id="unknown-subject-type"),
    pytest.param({"subjectType": "organization", "subjectId": "0190f0a4-0000-7000-8000-000000000000"},
                 [("subjectId", "NOT_FOUND")], id="unknown-subject-id"),
    pytest.param({"dateValidFrom": "2026-03-31", "dateValidTo": "2026-03-01"}, [("dateValidTo", "INVALID_PERIOD")],
                 id="period"),
])
def test_update_invoice_rejects_bad_values(user_a, draft_invoice, given, expected):
    # when
    with nothing_written():
        result = post(UPDATE, {"input": {"id": str(draft_invoice.id), **given}}, user=user_a)

    # then
    assert_mutation_errors(result, "updateInvoice", expected)


def test_update_invoice_subject_of_another_organisation_is_not_found(user_a, org_b, draft_invoice):
    # when
    with nothing_written():
        result = post(UPDATE, {"input": {"id": str(draft_invoice.id), "subjectType": "organization",
                                         "subjectId": str(org_b.id)}}, user=user_a)

    # then
    assert_mutation_errors(result, "updateInvoice", [("subjectId", "NOT_FOUND")])


@pytest.mark.parametrize(("ident", "expected"), [
    pytest.param("0190f0a4-0000-7000-8000-000000000000", [("id", "NOT_FOUND")], id="unknown"),
    pytest.param("zzz", [("id", "INVALID")], id="not-an-id"),
    # found by fuzzing: an empty id was NOT_FOUND "invoice None not found"
    pytest.param("", [("id", "REQUIRED")], id="empty"),
])
def test_update_invoice_unknown_id(user_a, draft_invoice, ident, expected):
    # when
    with nothing_written():
        result = post(UPDATE, {"input": {"id": ident, "note": "x"}}, user=user_a)

    # then
    assert_mutation_errors(result, "updateInvoice", expected)


def test_update_invoice_of_another_organisation_is_not_found(user_b, draft_invoice):
    # when
    with nothing_written():
        result = post(UPDATE, {"input": {"id": str(draft_invoice.id), "note": "x"}}, user=user_b)

    # then
    assert_mutation_errors(result, "updateInvoice", [("id", "NOT_FOUND")])


def test_update_invoice_query_count(user_a, draft_invoice):
    # when / then
    with assert_num_queries(13):
        result = post(UPDATE, {"input": {"id": str(draft_invoice.id), "version": 3, "note": "compté"}}, user=user_a)
    assert_mutation_ok(result, "updateInvoice")
