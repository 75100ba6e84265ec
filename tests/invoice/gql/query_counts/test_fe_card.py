"""The openIMIS front end's card page (tests/helpers/fe_documents.py: the invoice, its lines,
payments and events, four requests) costs at most 5 SQL queries per request, authentication
included, and connections count rows (`COUNT(*)`) only when `totalCount` is asked and the page
does not already tell it."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoice.services.events import event_message_create
from invoice.services.payments import payment_record
from tests.helpers.fe_documents import invoice_card, invoice_list
from tests.helpers.graphql import data, post, token_for

MAX_CARD_REQUEST_QUERIES = 5


@pytest.fixture
def card_invoice(user_a, validated_invoice):
    payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": Decimal("10.00")})
    event_message_create(actor=user_a, invoice=validated_invoice, message="appelé le client")
    return validated_invoice


def counts(captured) -> int:
    return sum("COUNT(" in query["sql"].upper() for query in captured.captured_queries)


@pytest.mark.parametrize("request_index", range(4), ids=["invoice", "invoiceLineItem", "paymentInvoice",
                                                          "invoiceEvent"])
def test_each_card_request_costs_at_most_5_queries_and_counts_nothing(user_a, card_invoice, request_index):
    # given
    name, document = invoice_card(str(card_invoice.id))[request_index]
    token = token_for(user_a)
    post(document, token=token)  # warm: content types, permissions
    # when
    with CaptureQueriesContext(connection) as captured:
        result = data(post(document, token=token))
    # then
    assert len(captured) <= MAX_CARD_REQUEST_QUERIES, name
    assert counts(captured) == 0, name  # each tab holds the whole (short) set: its length is the count
    edges = result[name]["edges"]
    assert len(edges) == {"invoice": 1, "invoiceLineItem": 2, "paymentInvoice": 1, "invoiceEvent": 4}[name]
    if name != "invoice":
        assert result[name]["totalCount"] == len(edges)
        assert result[name]["pageInfo"]["hasNextPage"] is False


PAGED = """query($first: Int, $after: String, $offset: Int) {
  invoiceLineItem(first: $first, after: $after, offset: $offset, orderBy: ["code"]) {
    %s pageInfo { hasNextPage hasPreviousPage } edges { node { code } } } }"""


@pytest.fixture
def twelve_lines(user_a, org_a):
    from tests.invoice.helpers import make_draft

    for _ in range(6):
        make_draft(actor=user_a, organization=org_a)  # 2 lines each
    return 12


def page(user_a, args: dict, total: bool = True):
    return data(post(PAGED % ("totalCount" if total else ""), args, user=user_a))["invoiceLineItem"]


@pytest.mark.parametrize(("args", "rows", "has_next"), [
    ({"first": 5}, 5, True),
    ({"first": 12}, 12, False),
    ({"first": 20}, 12, False),
    ({"first": 5, "offset": 10}, 2, False),
    ({"first": 5, "offset": 7}, 5, False),
    ({"first": 5, "offset": 6}, 5, True),
    ({"first": 5, "offset": 40}, 0, False),
    ({"first": 0}, 0, True),
])
def test_paging_and_total_count_are_exact_whether_counted_or_not(user_a, twelve_lines, args, rows, has_next):
    # when
    counted, uncounted = page(user_a, args), page(user_a, args, total=False)
    # then
    for answer in (counted, uncounted):
        assert (len(answer["edges"]), answer["pageInfo"]["hasNextPage"]) == (rows, has_next)
    assert counted["totalCount"] == twelve_lines


def test_after_a_cursor_the_next_page_follows(user_a, twelve_lines):
    first = data(post('{ invoiceLineItem(first: 5, orderBy: ["code"]) { pageInfo { endCursor } '
                      'edges { node { id } } } }', user=user_a))["invoiceLineItem"]
    rest = page(user_a, {"first": 10, "after": first["pageInfo"]["endCursor"]})
    assert (len(rest["edges"]), rest["pageInfo"]["hasNextPage"], rest["totalCount"]) == (7, False, 12)


def test_count_is_run_only_when_total_count_is_selected_and_the_page_is_full(user_a, twelve_lines):
    token = token_for(user_a)
    runs = {}
    for label, document in [("without totalCount", PAGED % ""), ("with totalCount", PAGED % "totalCount"),
                            ("in a fragment", PAGED % "...T")]:
        if label == "in a fragment":
            document = "fragment T on InvoiceLineItemGQLTypeConnection { totalCount } " + document
        with CaptureQueriesContext(connection) as captured:
            result = data(post(document, {"first": 5}, token=token))
        runs[label] = (counts(captured), result["invoiceLineItem"].get("totalCount"))
    assert runs == {"without totalCount": (0, None), "with totalCount": (1, 12), "in a fragment": (1, 12)}


def test_the_list_page_counts_once(user_a, twelve_lines):
    with CaptureQueriesContext(connection) as captured:
        result = data(post(invoice_list(first=2), user=user_a))
    assert (counts(captured), result["invoice"]["totalCount"]) == (1, 6)
