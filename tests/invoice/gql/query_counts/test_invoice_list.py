"""A list page costs the same number of SQL queries for 1 row as for 50: every nested list,
generic reference (subject, thirdparty, line) and parent invoice is read from prefetched rows."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.history import save_with_history
from invoice.services.events import event_message_create
from invoice.services.invoices import invoice_create, invoice_validate
from invoice.services.lines import line_add
from invoice.services.payments import payment_record
from payment_module.constants import OrderKind
from payment_module.models import Operator, Order
from tests.helpers.graphql import data, post, token_for
from tests.invoice.gql.helpers import count_queries

MAX_LIST_QUERIES = 12

INVOICE_LIST = """
query($first: Int) {
  invoice(first: $first, orderBy: ["-dateCreated"]) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node {
      id code status amountTotal amountPayed subjectTypeName subject thirdparty
      subjectOption { id type code label } thirdpartyOption { id type code label } relatedInvoice { code }
      lineItems { id code quantity amountNet amountTotal taxRateLabel line lineOption { id code label } lineTypeName }
      payments { id status amountPayed fees datePayment }
      events { id eventType message userName editable dateCreated }
    } }
  }
}"""

LINE_LIST = """
query($first: Int) {
  invoiceLineItem(first: $first) { totalCount edges { node {
    id code amountNet amountTotal taxRateLabel line lineOption { id code } lineTypeName invoice { id code status }
  } } }
}"""

PAYMENT_LIST = """
query($first: Int) {
  invoicePayment(first: $first) { totalCount edges { node {
    id status amountPayed fees amountReceived invoice { id code status }
  } } }
}"""

EVENT_LIST = """
query($first: Int) {
  invoiceEvent(first: $first) { totalCount edges { node {
    id eventType message userName editable invoice { id code }
  } } }
}"""


def make_invoices(count: int, *, actor, organization, start: int = 0) -> None:
    """`count` validated invoices, each billing an operator (subject and thirdparty) for 3 orders
    (the lines' `line`), with one accepted payment and a message besides the automatic events."""
    now = timezone.now()
    for n in range(start, start + count):
        operator = Operator(organization=organization, code=f"op-{n}", name=f"Pompes funèbres {n}",
                            address_line1=f"{n} rue des Lilas", postal_code="75020", city="Paris",
                            email=f"op-{n}@pf.test")
        save_with_history(operator, actor=actor, reason="test")
        invoice = invoice_create(actor=actor, organization=organization, data={
            "subject_type": "operator", "subject_id": operator.pk, "thirdparty_type": "operator",
            "thirdparty_id": operator.pk,
        })
        for k, kind in enumerate((OrderKind.DEATH_NOTICE, OrderKind.NOTICE_PHOTO, OrderKind.NOTICE_FRAME)):
            order = Order(organization=organization, operator=operator, kind=kind, reference=f"CMD-{n}-{k}",
                          ordered_at=now - timedelta(days=k))
            save_with_history(order, actor=actor, reason="test")
            line_add(actor=actor, invoice=invoice, data={
                "code": kind, "quantity": Decimal(1), "unit_price": Decimal("10.00"), "line_type": "order",
                "line_id": order.pk,
            })
        invoice = invoice_validate(actor=actor, invoice=invoice)
        payment_record(actor=actor, invoice=invoice, data={"amount_payed": Decimal("5.00")})
        event_message_create(actor=actor, invoice=invoice, message=f"message {n}")


def list_queries(document: str, token: str, first: int, expected_rows: int) -> int:
    def run():
        result = data(post(document, {"first": first}, token=token))
        connection = next(iter(result.values()))
        assert len(connection["edges"]) == expected_rows

    return count_queries(run)


@pytest.fixture
def token_a(user_a) -> str:
    return token_for(user_a)


def test_invoice_list_costs_the_same_for_1_and_50_invoices(user_a, org_a, token_a):
    # given
    make_invoices(1, actor=user_a, organization=org_a)
    one = list_queries(INVOICE_LIST, token_a, 50, 1)
    make_invoices(49, actor=user_a, organization=org_a, start=1)

    # when
    fifty = list_queries(INVOICE_LIST, token_a, 50, 50)

    # then
    assert (one, fifty) == (one, one)
    assert one <= MAX_LIST_QUERIES


def test_invoice_list_returns_the_prefetched_values(user_a, org_a, token_a):
    # given
    make_invoices(2, actor=user_a, organization=org_a)

    # when
    nodes = [edge["node"] for edge in data(post(INVOICE_LIST, {"first": 1}, token=token_a))["invoice"]["edges"]]

    # then: the newest invoice (operator 1), its three order lines, payment and events
    node = nodes[0]
    assert (node["subjectTypeName"], node["subjectOption"]["code"], node["thirdpartyOption"]["label"]) == (
        "operator", "op-1", "Pompes funèbres 1",
    )
    assert [(line["code"], line["lineTypeName"], line["lineOption"]["code"], line["amountNet"]) for line in node["lineItems"]] == [
        ("death_notice", "order", "CMD-1-0", "10.00"),
        ("notice_photo", "order", "CMD-1-1", "10.00"),
        ("notice_frame", "order", "CMD-1-2", "10.00"),
    ]
    assert [(p["status"], p["amountPayed"]) for p in node["payments"]] == [("A_1", "5.00")]
    assert sorted(e["eventType"] for e in node["events"]) == ["A_0", "A_1", "A_1", "A_3"]


@pytest.mark.parametrize(("document", "per_invoice"), [
    pytest.param(LINE_LIST, 3, id="invoiceLineItem"),
    pytest.param(PAYMENT_LIST, 1, id="invoicePayment"),
    pytest.param(EVENT_LIST, 4, id="invoiceEvent"),
])
def test_tab_lists_cost_the_same_for_1_and_20_rows(user_a, org_a, token_a, document, per_invoice):
    # given: enough invoices for more than 20 rows of each kind (both pages are then counted:
    # a page that holds the whole set needs no COUNT, see test_fe_card.py)
    make_invoices(-(-21 // per_invoice), actor=user_a, organization=org_a)

    # when
    one = list_queries(document, token_a, 1, 1)
    twenty = list_queries(document, token_a, 20, 20)

    # then
    assert (one, twenty) == (one, one)
    assert one <= MAX_LIST_QUERIES
