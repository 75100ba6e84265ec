"""The filters as the openIMIS invoice front end writes them (values inlined in the document,
raw UUIDs, quoted status codes, bare-number amounts, orderBy lists), relay pagination, and clear
INVALID errors for bad filter values."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from invoice.services.events import event_message_create
from invoice.services.invoices import invoice_delete, invoice_validate
from tests.helpers.graphql import data, error_codes, post
from tests.invoice.gql.helpers import global_id, mutation_document, number
from tests.invoice.helpers import buyer_data, make_draft

ONE_LINE = ({"code": "S", "quantity": "1", "unit_price": "10.00"},)  # 10.00 + 20 % = 12.00
BIG_LINE = ({"code": "B", "quantity": "10", "unit_price": "100.00"},)  # 1000.00 + 20 % = 1200.00


@pytest.fixture
def invoices(user_a, org_a):
    """small: draft 12.00 of 2025-12-15 for operator pf-small (thirdparty); mid: validated 289.50 of
    2026-02-01 billing Org A (number 1) to the default buyer; big: draft 1200.00 of 2026-03-01 without
    buyer; gone: a deleted draft."""
    small = make_draft(actor=user_a, organization=org_a, lines=ONE_LINE, date_invoice=date(2025, 12, 15),
                       **buyer_data(org_a, code="pf-small", name="PF Small", email="small@pf.test"))
    mid = invoice_validate(actor=user_a, invoice=make_draft(
        actor=user_a, organization=org_a, date_invoice=date(2026, 2, 1), subject_type="organization",
        subject_id=org_a.pk,
    ))
    big = make_draft(actor=user_a, organization=org_a, lines=BIG_LINE, date_invoice=date(2026, 3, 1),
                     thirdparty_type=None)
    gone = invoice_delete(actor=user_a, invoice=make_draft(actor=user_a, organization=org_a, lines=ONE_LINE))
    return {"small": small, "mid": mid, "big": big, "gone": gone}


def totals(arguments: str, user) -> list[str]:
    """amountTotal of `invoice(<arguments>)` in the order returned."""
    result = data(post(f"{{ invoice({arguments}) {{ totalCount edges {{ node {{ amountTotal }} }} }} }}", user=user))
    edges = result["invoice"]["edges"]
    assert result["invoice"]["totalCount"] == len(edges)
    return [edge["node"]["amountTotal"] for edge in edges]


@pytest.mark.parametrize(("arguments", "expected"), [
    pytest.param('orderBy: ["-amountTotal"]', ["1200.00", "289.50", "12.00"], id="order-desc"),
    pytest.param('orderBy: ["amountTotal"]', ["12.00", "289.50", "1200.00"], id="order-asc"),
    pytest.param('status: "1"', ["289.50"], id="status-quoted"),
    pytest.param('status: "0", orderBy: ["amountTotal"]', ["12.00", "1200.00"], id="status-draft"),
    pytest.param("amountTotal_Lte: 100", ["12.00"], id="amount-lte-bare-int"),
    pytest.param('amountTotal_Gte: 10.5, orderBy: ["amountTotal"]', ["12.00", "289.50", "1200.00"],
                 id="amount-gte-bare-float"),
    pytest.param('amountTotal_Gte: 12.01, amountTotal_Lt: "1200", orderBy: ["amountTotal"]', ["289.50"],
                 id="amount-range-mixed"),
    pytest.param("amountTotal: 289.5", ["289.50"], id="amount-exact"),
    pytest.param('dateInvoice_Gte: "2026-01-01", orderBy: ["dateInvoice"]', ["289.50", "1200.00"], id="date-gte"),
    pytest.param('dateInvoice_Lt: "2026-01-01"', ["12.00"], id="date-lt"),
    pytest.param('subjectType: "organization"', ["289.50"], id="subject-type-picker-code"),
    pytest.param('thirdpartyType: "operator", orderBy: ["amountTotal"]', ["12.00", "289.50"],
                 id="thirdparty-type-picker-code"),
    pytest.param('isDeleted: true', ["12.00"], id="deleted-only"),
    pytest.param('isDeleted: false, orderBy: ["amountTotal"]', ["12.00", "289.50", "1200.00"], id="not-deleted"),
    pytest.param('orderBy: ["amountTotal"]', ["12.00", "289.50", "1200.00"], id="default-hides-deleted"),
])
def test_invoice_filters_in_openimis_literal_form(invoices, user_a, arguments, expected):
    # when / then
    assert totals(arguments, user_a) == expected


def test_code_icontains_and_raw_or_relay_id(invoices, user_a, org_a):
    # given
    mid = invoices["mid"]

    # when
    by_code = totals(f'code_Icontains: "{number(org_a, 1).lower()[-9:]}"', user_a)
    by_raw_id = totals(f'id: "{mid.id}"', user_a)
    by_relay_id = totals(f'id: "{global_id("InvoiceGQLType", mid.id)}"', user_a)

    # then
    assert by_code == by_raw_id == by_relay_id == ["289.50"]


def test_the_deleted_draft_is_found_by_id_only_with_is_deleted(invoices, user_a):
    # when / then
    assert totals(f'id: "{invoices["gone"].id}"', user_a) == []
    assert totals(f'id: "{invoices["gone"].id}", isDeleted: true', user_a) == ["12.00"]


def test_line_items_of_one_invoice_by_raw_uuid(invoices, user_a):
    # when
    document = f'{{ invoiceLineItem(invoice_Id: "{invoices["mid"].id}", orderBy: ["code"]) {{ totalCount edges {{ node {{ code amountNet }} }} }} }}'
    result = data(post(document, user=user_a))["invoiceLineItem"]

    # then
    assert result == {"totalCount": 2, "edges": [{"node": {"code": "L1", "amountNet": "200.00"}},
                                                 {"node": {"code": "L2", "amountNet": "45.00"}}]}


def test_line_items_by_relay_invoice_id_and_bare_number(invoices, user_a):
    # when
    relay_id = global_id("InvoiceGQLType", invoices["mid"].id)
    document = f'{{ invoiceLineItem(invoice_Id: "{relay_id}", amountNet_Gte: 100) {{ edges {{ node {{ code }} }} }} }}'
    result = data(post(document, user=user_a))["invoiceLineItem"]

    # then
    assert result == {"edges": [{"node": {"code": "L1"}}]}


def test_events_of_one_invoice_and_event_type_quoted(invoices, user_a):
    # given
    event_message_create(actor=user_a, invoice=invoices["mid"], message="Appel client")
    document = '{ invoiceEvent(invoice_Id: "%s"%s) { totalCount edges { node { eventType message } } } }'

    # when
    every = data(post(document % (invoices["mid"].id, ""), user=user_a))["invoiceEvent"]
    messages = data(post(document % (invoices["mid"].id, ', eventType: "0"'), user=user_a))["invoiceEvent"]

    # then: created, validated, message (newest first)
    assert [edge["node"]["eventType"] for edge in every["edges"]] == ["A_0", "A_1", "A_1"]
    assert messages == {"totalCount": 1, "edges": [{"node": {"eventType": "A_0", "message": "Appel client"}}]}


def test_client_mutation_id_returns_the_object_created_by_that_mutation(invoices, user_a):
    # given
    post(mutation_document("createInvoice"), {"input": {"clientMutationId": "fe-42", "codeTp": "TP-42"}}, user=user_a)
    post(mutation_document("createInvoice"), {"input": {"clientMutationId": "fe-43", "codeTp": "TP-43"}}, user=user_a)

    # when
    result = data(post('{ invoice(clientMutationId: "fe-42") { totalCount edges { node { codeTp } } } }', user=user_a))

    # then
    assert result["invoice"] == {"totalCount": 1, "edges": [{"node": {"codeTp": "TP-42"}}]}


def test_pagination_with_first_after_total_count_and_page_info(invoices, user_a):
    # given
    document = '{ invoice(first: 2%s, orderBy: ["amountTotal"]) { totalCount edgeCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { amountTotal } } } }'

    # when
    first_page = data(post(document % "", user=user_a))["invoice"]
    second_page = data(post(document % f', after: "{first_page["pageInfo"]["endCursor"]}"', user=user_a))["invoice"]

    # then
    assert (first_page["totalCount"], first_page["edgeCount"], first_page["pageInfo"]["hasNextPage"]) == (3, 2, True)
    assert [edge["node"]["amountTotal"] for edge in first_page["edges"]] == ["12.00", "289.50"]
    assert (second_page["totalCount"], second_page["edgeCount"], second_page["pageInfo"]["hasNextPage"]) == (3, 1, False)
    assert [edge["node"]["amountTotal"] for edge in second_page["edges"]] == ["1200.00"]


def test_subject_and_thirdparty_are_json_strings_of_json_strings(invoices, user_a, org_a):
    # when
    nodes = {edge["node"]["amountTotal"]: edge["node"] for edge in data(post(
        "{ invoice { edges { node { amountTotal subject thirdparty subjectTypeName thirdpartyTypeName } } } }", user=user_a,
    ))["invoice"]["edges"]}

    # then: what openimis-fe-invoice_js does: JSON.parse(JSON.parse(x))
    subject = json.loads(json.loads(nodes["289.50"]["subject"]))
    thirdparty = json.loads(json.loads(nodes["12.00"]["thirdparty"]))
    assert {key: subject[key] for key in ("id", "type", "code", "label")} == {
        "id": str(org_a.id), "type": "organization", "code": "org-a", "label": "Org A"}
    assert thirdparty == {"id": str(invoices["small"].thirdparty_id), "type": "operator", "code": "pf-small",
                          "label": "PF Small", "siren": "", "vatNumber": "", "email": "small@pf.test"}
    assert (nodes["1200.00"]["thirdparty"], nodes["12.00"]["subject"]) == (None, None)
    assert (nodes["289.50"]["subjectTypeName"], nodes["12.00"]["thirdpartyTypeName"]) == ("organization", "operator")


@pytest.mark.parametrize(("field", "arguments", "argument"), [
    pytest.param("invoice", 'orderBy: ["-unknownField"]', "orderBy", id="order-by-unknown"),
    pytest.param("invoice", 'orderBy: ["-organization"]', "orderBy", id="order-by-not-allowed"),
    pytest.param("invoice", 'id: "zzz"', "id", id="id-not-a-uuid"),
    pytest.param("invoice", 'subjectId: "zzz"', "subjectId", id="subject-id-not-a-uuid"),
    pytest.param("invoiceLineItem", 'invoice_Id: "zzz"', "invoice_Id", id="line-invoice-id-not-a-uuid"),
    pytest.param("invoiceEvent", 'invoice_Id: "zzz"', "invoice_Id", id="event-invoice-id-not-a-uuid"),
    pytest.param("invoice", 'status: "paid"', "status", id="status-not-a-number"),
    pytest.param("invoiceEvent", 'eventType: "x"', "eventType", id="event-type-not-a-number"),
    pytest.param("invoicePayment", 'status: "accepted"', "status", id="payment-status-not-a-number"),
    pytest.param("invoiceLineItem", 'orderBy: ["nope"]', "orderBy", id="line-order-by-unknown"),
    pytest.param("invoice", "first: 501", "first", id="first-above-the-limit"),
    pytest.param("invoice", "first: -1", "first", id="first-negative"),
    pytest.param("invoice", "last: 1000", "last", id="last-above-the-limit"),
    pytest.param("invoice", 'offset: 1, before: "YXJyYXljb25uZWN0aW9uOjE="', "offset", id="offset-and-before"),
])
def test_bad_filter_values_are_invalid_never_internal_errors(invoices, user_a, field, arguments, argument):
    # when
    result = post(f"{{ {field}({arguments}) {{ totalCount }} }}", user=user_a)

    # then
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in result["errors"]] == [("INVALID", argument)]
    assert result["data"] == {field: None}


def test_amount_filter_that_is_not_a_number_is_refused_by_validation(invoices, user_a):
    # when
    result = post('{ invoice(amountTotal_Lte: "cent") { totalCount } }', user=user_a)

    # then: a GraphQL validation error (no field ran), not an internal error
    assert "data" not in result or result["data"] is None
    assert "INTERNAL_ERROR" not in error_codes(result)
    assert "cent" in result["errors"][0]["message"]


def test_decimal_amounts_are_never_floats(invoices, user_a):
    # when
    selection = "amountNet amountTotal taxAnalysis lineItems { quantity unitPrice }"
    document = f'{{ invoice(id: "{invoices["mid"].id}") {{ edges {{ node {{ {selection} }} }} }} }}'
    node = data(post(document, user=user_a))["invoice"]["edges"][0]["node"]

    # then
    assert (node["amountNet"], node["amountTotal"]) == ("245.00", "289.50")
    assert node["lineItems"] == [{"quantity": "2.0000", "unitPrice": "100.0000"}, {"quantity": "1.0000", "unitPrice": "50.0000"}]
    assert Decimal(json.loads(node["taxAnalysis"])["total"]) == Decimal("44.50")


# ---- Requests exactly as the openIMIS invoice front end writes them (docs/openimis-fe-compat.md)

INVOICE_FULL_PROJECTION = (
    "id,isDeleted,jsonExt,dateCreated,dateUpdated,dateValidFrom,dateValidTo,replacementUuid,thirdpartyType,"
    "thirdpartyTypeName,thirdpartyId,thirdparty,codeTp,code,codeExt,dateDue,datePayed,amountDiscount,amountNet,"
    "amountTotal,taxAnalysis,status,currencyTpCode,currencyCode,note,terms,paymentReference,subjectType,"
    "subjectTypeName,subjectId,subject,dateInvoice"
)
PAGE_INFO = "pageInfo { hasNextPage, hasPreviousPage, startCursor, endCursor}"


def fe_page(entity: str, params: str, projection: str, *, count: bool = True) -> str:
    """fe-core formatPageQueryWithCount / formatPageQuery."""
    total = "totalCount" if count else ""
    return (f"{{\n  {entity}({params})\n  {{\n    {total}\n    {PAGE_INFO}\n    edges\n    {{\n      node\n"
            f"      {{\n        {projection}\n      }}\n    }}\n  }}\n}}")


def fe_decode_id(relay_id: str) -> str:
    """fe-core decodeId: atob(id).split(":")[1]."""
    import base64

    return base64.b64decode(relay_id).decode().split(":")[1]


def test_fe_invoice_list_page(invoices, user_a, org_a):
    # when
    result = data(post(fe_page("invoice", 'isDeleted: false,first: 10,orderBy: ["code"]', INVOICE_FULL_PROJECTION),
                       user=user_a))["invoice"]

    # then: drafts have no number yet (""), so they sort first
    assert result["totalCount"] == 3
    nodes = [edge["node"] for edge in result["edges"]]
    assert [node["code"] for node in nodes][-1] == number(org_a, 1)
    mid = nodes[-1]
    assert fe_decode_id(mid["id"]) == str(invoices["mid"].id)
    assert (mid["status"][2:], mid["amountTotal"], json.loads(mid["taxAnalysis"])["total"]) == ("1", "289.50", "44.50")
    assert json.loads(json.loads(mid["subject"]))["code"] == "org-a"
    assert (mid["subjectType"], mid["subjectTypeName"], json.loads(json.loads(mid["thirdparty"]))["code"],
            mid["thirdpartyType"]) == (invoices["mid"].subject_type_id, "organization", "buyer",
                                       invoices["mid"].thirdparty_type_id)


@pytest.mark.parametrize(("params", "expected"), [
    pytest.param('isDeleted: false,status: "",first: 10,orderBy: ["amountTotal"]', ["12.00", "289.50", "1200.00"],
                 id="cleared-select-is-no-filter"),
    pytest.param('isDeleted: false,status: "0",first: 10,orderBy: ["-amountTotal"]', ["1200.00", "12.00"],
                 id="status-quoted-digit"),
    pytest.param('isDeleted: false,amountTotal: 12,first: 10,orderBy: ["code"]', ["12.00"], id="amount-int"),
    pytest.param('isDeleted: false,amountTotal: 289.5,first: 10,orderBy: ["code"]', ["289.50"], id="amount-float"),
    pytest.param('isDeleted: false,dateInvoice: "2026-03-01",first: 10,orderBy: ["code"]', ["1200.00"], id="date"),
    pytest.param('isDeleted: false,subjectType: "organization",first: 10,orderBy: ["subjectType"]', ["289.50"],
                 id="subject-type"),
    pytest.param('isDeleted: false,thirdpartyType: "operator",first: 10,orderBy: ["-amountTotal"]', ["289.50", "12.00"],
                 id="thirdparty-type"),
    pytest.param('isDeleted: false,first: 10,orderBy: ["-dateInvoice"]', ["1200.00", "289.50", "12.00"],
                 id="order-date-desc"),
    pytest.param('isDeleted: false,first: 10,orderBy: ["status"]', None, id="order-status"),
])
def test_fe_invoice_list_filters_and_sorts(invoices, user_a, params, expected):
    # when
    result = data(post(fe_page("invoice", params, "id,amountTotal"), user=user_a))["invoice"]

    # then
    totals_returned = [edge["node"]["amountTotal"] for edge in result["edges"]]
    if expected is None:  # draft (0) before validated (1)
        assert totals_returned[-1] == "289.50" and len(totals_returned) == 3
    else:
        assert totals_returned == expected


def test_fe_invoice_card(invoices, user_a):
    # when
    result = data(post(fe_page("invoice", f'id: "{invoices["big"].id}"', INVOICE_FULL_PROJECTION, count=False),
                       user=user_a))["invoice"]

    # then
    node = result["edges"][0]["node"]
    assert (fe_decode_id(node["id"]), node["amountNet"], node["status"]) == (str(invoices["big"].id), "1000.00", "A_0")


def test_fe_line_items_tab(invoices, user_a):
    # given
    projection = "id,code,description,ledgerAccount,quantity,unitPrice,discount,deduction,amountTotal,amountNet,taxAnalysis"

    # when
    invoice_id = invoices["mid"].id
    every = data(post(fe_page("invoiceLineItem", f'invoice_Id: "{invoice_id}",isDeleted: false,first: 10,orderBy: ["code"]',
                              projection), user=user_a))["invoiceLineItem"]
    priced = data(post(fe_page(
        "invoiceLineItem",
        f'invoice_Id: "{invoice_id}",isDeleted: false,unitPrice: 50,quantity: 1.0,first: 10,orderBy: ["-amountNet"]', "code",
    ), user=user_a))["invoiceLineItem"]

    # then
    assert every["totalCount"] == 2
    first = every["edges"][0]["node"]
    assert (first["code"], first["quantity"], first["unitPrice"], first["amountNet"], json.loads(first["taxAnalysis"])["total"]) == (
        "L1", "2.0000", "100.0000", "200.00", "40.00",
    )
    assert priced["edges"] == [{"node": {"code": "L2"}}]


def test_fe_events_tab(invoices, user_a):
    # given
    event_message_create(actor=user_a, invoice=invoices["mid"], message="late")
    params = 'invoice_Id: "%s",isDeleted: false%s,first: 10,orderBy: ["eventType"]'

    # when
    every = data(post(fe_page("invoiceEvent", params % (invoices["mid"].id, ',eventType: ""'), "eventType,message"),
                      user=user_a))["invoiceEvent"]
    messages = data(post(fe_page("invoiceEvent", params % (invoices["mid"].id, ',eventType: "0",message_Icontains: "LAT"'),
                                 "eventType,message"), user=user_a))["invoiceEvent"]

    # then
    assert [edge["node"]["eventType"] for edge in every["edges"]] == ["A_0", "A_1", "A_1"]
    assert messages["edges"] == [{"node": {"eventType": "A_0", "message": "late"}}]
