"""Tenant isolation: a member of Org B sees nothing of Org A through any query or filter, and
every mutation naming Org A's objects answers NOT_FOUND (never PERMISSION_DENIED) and changes
nothing."""
from __future__ import annotations

import pytest

from invoice.services.invoices import invoice_create, invoice_delete
from tests.helpers.graphql import assert_mutation_errors, data, error_codes, post
from tests.invoice.gql.helpers import WRITE_MUTATIONS, global_id, mutation_document
from tests.invoice.helpers import make_buyer, nothing_written

EMPTY = {"totalCount": 0, "edges": []}

# (query field, arguments) — each filled with world_a's ids; Org B must get an empty connection.
LIST_QUERIES = [
    pytest.param("invoice", "", id="invoice"),
    pytest.param("invoice", 'id: "{validated}"', id="invoice-id"),
    pytest.param("invoice", 'id: "{validated_gid}"', id="invoice-relay-id"),
    pytest.param("invoice", 'code: "{validated_code}"', id="invoice-code"),
    pytest.param("invoice", 'subjectId: "{org_a}"', id="invoice-subject-id"),
    pytest.param("invoice", 'clientMutationId: "a-create"', id="invoice-client-mutation-id"),
    pytest.param("invoice", "isDeleted: true", id="invoice-deleted"),
    pytest.param("invoiceLineItem", "", id="line"),
    pytest.param("invoiceLineItem", 'invoice_Id: "{draft}"', id="line-invoice-id"),
    pytest.param("invoiceLineItem", 'id: "{line}"', id="line-id"),
    pytest.param("invoicePayment", "", id="payment"),
    pytest.param("invoicePayment", 'invoice_Id: "{billed}"', id="payment-invoice-id"),
    pytest.param("invoicePayment", 'id: "{payment}"', id="payment-id"),
    pytest.param("invoiceEvent", "", id="event"),
    pytest.param("invoiceEvent", 'invoice_Id: "{draft}"', id="event-invoice-id"),
    pytest.param("invoiceEvent", 'id: "{message}"', id="event-id"),
    pytest.param("invoiceEvent", 'eventType: "0"', id="event-type"),
]


def ids(world, org_a) -> dict:
    return {
        "validated": world.validated.id, "validated_gid": global_id("InvoiceGQLType", world.validated.id),
        "validated_code": world.validated.code, "org_a": org_a.id, "draft": world.draft.id, "line": world.lines[0].id,
        "billed": world.billed.id, "payment": world.payment.id, "message": world.message.id,
    }


@pytest.mark.parametrize(("field", "arguments"), LIST_QUERIES)
def test_lists_of_another_organisation_are_empty(world_a, org_a, user_a, user_b, field, arguments):
    # given: Org A's user sees its objects: also one billing Org A created with a clientMutationId,
    # and a deleted draft
    post(mutation_document("createInvoice"), {"input": {
        "clientMutationId": "a-create", "subjectType": "organization", "subjectId": str(org_a.id),
    }}, user=user_a)
    invoice_delete(actor=user_a, invoice=invoice_create(actor=user_a, organization=org_a, data={}))
    arguments = arguments.format(**ids(world_a, org_a))
    document = f"{{ {field}{f'({arguments})' if arguments else ''} {{ totalCount edges {{ node {{ id }} }} }} }}"
    assert data(post(document, user=user_a))[field]["totalCount"] >= 1

    # when
    result = data(post(document, user=user_b))

    # then
    assert result == {field: EMPTY}


@pytest.mark.parametrize("which", ["draft", "validated"])
def test_history_of_another_organisations_invoice_is_not_found(world_a, user_b, which):
    # when
    result = post(f'{{ invoiceHistory(id: "{getattr(world_a, which).id}") {{ version }} }}', user=user_b)

    # then
    assert error_codes(result) == ["NOT_FOUND"]
    assert result["errors"][0]["extensions"]["field"] == "id"
    assert result["data"] is None


@pytest.mark.parametrize(("picker", "search"), [("organization", "Org A"), ("organization", None), ("user", "admin-a")])
def test_picker_options_of_another_organisation_are_not_offered(world_a, user_b, org_b, picker, search):
    # when
    options = data(post(
        "query($type: String!, $search: String) { pickerOptions(role: \"subject\", type: $type, search: $search) { id code } }",
        {"type": picker, "search": search}, user=user_b,
    ))["pickerOptions"]

    # then: only Org B's own organisation (or its own users) can be picked
    assert all(option["code"] in ("org-b", "admin-b@molink.test") for option in options)
    if search is None:
        assert options == [{"id": str(org_b.id), "code": "org-b"}]


@pytest.mark.parametrize(("given", "expected"), [
    pytest.param(lambda org_a, user_a: {"subjectType": "organization", "subjectId": str(org_a.id)},
                 [("subjectId", "NOT_FOUND")], id="subject-org-a"),
    pytest.param(lambda org_a, user_a: {"subjectType": "user", "subjectId": str(user_a.id)},
                 [("subjectId", "NOT_FOUND")], id="subject-user-a"),
    pytest.param(lambda org_a, user_a: {"thirdpartyType": "operator", "thirdpartyId": str(make_buyer(org_a).pk)},
                 [("thirdpartyId", "NOT_FOUND")], id="thirdparty-operator-a"),
])
def test_an_invoice_of_org_b_cannot_name_org_a_objects(world_a, org_a, user_a, user_b, given, expected):
    # when
    with nothing_written():
        result = post(mutation_document("createInvoice"), {"input": given(org_a, user_a)}, user=user_b)

    # then
    assert_mutation_errors(result, "createInvoice", expected)


NOT_FOUND_FIELD = {
    "updateInvoice": "id", "validateInvoice": "id", "cancelInvoice": "id", "deleteInvoice": "uuids.0",
    "createInvoiceLineItem": "invoiceId", "updateInvoiceLineItem": "id", "deleteInvoiceLineItem": "uuids.0",
    "createInvoicePayment": "invoiceId", "updateInvoicePayment": "id", "deleteInvoicePayment": "uuids.0",
    "createInvoiceEventMessage": "invoiceId", "updateInvoiceEventMessage": "id",
}


@pytest.mark.parametrize("name", list(NOT_FOUND_FIELD))
def test_mutations_on_another_organisations_objects_are_not_found(world_a, user_b, name):
    # when
    with nothing_written():
        result = post(mutation_document(name), {"input": WRITE_MUTATIONS[name](world_a)}, user=user_b)

    # then
    assert_mutation_errors(result, name, [(NOT_FOUND_FIELD[name], "NOT_FOUND")])
