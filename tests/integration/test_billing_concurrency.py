"""Billing under real concurrency, on PostgreSQL with RabbitMQ: an order is billed at most once.
Each thread has its own connection (closed at its end); a Barrier releases them together. Tasks
are not eager: document generations are published to a throwaway queue (no worker consumes it),
deleted at the end with its dead-letter exchange and queue."""
from __future__ import annotations

import uuid
from collections import Counter
from datetime import date

import pytest
from django.utils import timezone

from core.errors import DomainError
from invoice import queues
from invoice.models import (
    Invoice,
    InvoiceDocument,
    InvoiceLineItem,
    InvoiceNumberSequence,
)
from payment_module.constants import OrderKind
from payment_module.models import Order
from payment_module.services.billing import generate_operator_invoice
from tests.helpers.concurrency import run_together
from tests.payment_module.helpers import (
    OTHER_OPERATOR_DATA,
    at,
    make_operator,
    make_order,
    make_tariffs,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

JUNE = (date(2026, 6, 1), date(2026, 6, 30))


@pytest.fixture
def operator(user_a, org_a):
    make_tariffs(user_a, org_a)
    return make_operator(user_a, org_a)


def lines_per_order() -> Counter:
    order_ids = set(Order.objects.values_list("pk", flat=True))
    return Counter(line_id for line_id in InvoiceLineItem.objects.values_list("line_id", flat=True) if line_id in order_ids)


def test_five_identical_requests_bill_once_and_share_one_document(user_a, org_a, operator, queue):
    # given: 12 June orders
    orders = [make_order(user_a, operator, f"CMD-{n:02d}", at(date(2026, 6, n * 2)),
                         kind=(OrderKind.DEATH_NOTICE, OrderKind.NOTICE_PHOTO)[n % 2]) for n in range(1, 13)]

    # when
    results = run_together(5, lambda index: generate_operator_invoice(
        actor=user_a, organization=org_a, operator=operator, start_date=JUNE[0], end_date=JUNE[1], fmt="json").pk)

    # then: every request answered with the same document; one invoice, one number
    assert [status for status, _ in results] == ["ok"] * 5, results
    assert len({document_id for _, document_id in results}) == 1
    invoice = Invoice.objects.get()
    assert InvoiceDocument.objects.get().pk == results[0][1]
    assert InvoiceNumberSequence.objects.get(organization=org_a).last_number == 1
    # each order billed exactly once, on that invoice
    assert lines_per_order() == Counter({order.pk: 1 for order in orders})
    assert set(Order.objects.values_list("invoice_line__invoice_id", flat=True)) == {invoice.pk}
    assert invoice.line_items.count() == 12
    # one generation was published to the broker
    assert queues.queue_depth(queue) == 1


def test_overlapping_periods_in_parallel_never_bill_an_order_twice(user_a, org_a, operator, queue):
    # given: orders from 01/06 to 15/07; periods June and 15/06 → 15/07 overlap on 15-30/06
    days = [date(2026, 6, d) for d in (1, 5, 10, 14, 15, 16, 20, 25, 30)] + [date(2026, 7, d) for d in (1, 10, 15)]
    orders = [make_order(user_a, operator, f"CMD-{day:%m%d}", at(day)) for day in days]
    periods = [JUNE, (date(2026, 6, 15), date(2026, 7, 15))]

    # when
    results = run_together(2, lambda index: generate_operator_invoice(
        actor=user_a, organization=org_a, operator=operator, start_date=periods[index][0], end_date=periods[index][1],
        fmt="json").pk)

    # then: both succeed (each has orders only it can take); no order is on two invoices; all billed
    assert [status for status, _ in results] == ["ok", "ok"], results
    assert Invoice.objects.count() == 2 and len({document_id for _, document_id in results}) == 2
    assert lines_per_order() == Counter({order.pk: 1 for order in orders})
    by_invoice = {}
    for order in Order.objects.select_related("invoice_line__invoice"):
        by_invoice.setdefault(order.invoice_line.invoice.date_valid_from, []).append(
            timezone.localdate(order.ordered_at))
    june_days, later_days = by_invoice[periods[0][0]], by_invoice[periods[1][0]]
    assert all(JUNE[0] <= day <= JUNE[1] for day in june_days)
    assert all(periods[1][0] <= day <= periods[1][1] for day in later_days)
    assert sorted(june_days + later_days) == days
    assert queues.queue_depth(queue) == 2


def test_many_overlapping_periods_in_parallel_bill_every_order_exactly_once(user_a, org_a, operator, queue):
    # given: an order every other day of June and July; 12 requests for 6 overlapping periods
    # (each period asked twice), all at once
    days = [date(2026, 6, d) for d in range(1, 31, 2)] + [date(2026, 7, d) for d in range(1, 32, 2)]
    orders = [make_order(user_a, operator, f"CMD-{day:%m%d}", at(day)) for day in days]
    periods = [JUNE, (date(2026, 6, 10), date(2026, 7, 10)), (date(2026, 6, 20), date(2026, 7, 20)),
               (date(2026, 7, 1), date(2026, 7, 31)), (date(2026, 6, 1), date(2026, 7, 31)),
               (date(2026, 6, 15), date(2026, 6, 16))]

    def bill(index):
        start, end = periods[index % len(periods)]
        try:
            return generate_operator_invoice(actor=user_a, organization=org_a, operator=operator,
                                              start_date=start, end_date=end, fmt="json").pk
        except DomainError as exc:  # a period whose orders others took first: NO_ORDERS
            return exc.errors[0].code.name

    # when
    results = run_together(2 * len(periods), bill)

    # then: every request answered (a document or a clear "nothing to bill"); each order on
    # exactly one invoice whose period contains it; numbers gap-free
    assert all(status == "ok" for status, _ in results), results
    outcomes = Counter("document" if isinstance(value, uuid.UUID) else value for _, value in results)
    assert set(outcomes) <= {"document", "NO_ORDERS"}, outcomes
    invoices = list(Invoice.objects.all())
    assert InvoiceDocument.objects.count() == len(invoices) >= 1
    assert lines_per_order() == Counter({order.pk: 1 for order in orders})
    for order in Order.objects.select_related("invoice_line__invoice"):
        invoice = order.invoice_line.invoice
        assert invoice.date_valid_from <= timezone.localdate(order.ordered_at) <= invoice.date_valid_to
    numbers = sorted(int(invoice.code.rsplit("-", 1)[1]) for invoice in invoices)
    assert numbers == list(range(1, len(invoices) + 1))


def test_different_operators_are_billed_in_parallel(user_a, org_a, operator, queue):
    # given: two operators with June orders
    other = make_operator(user_a, org_a, **OTHER_OPERATOR_DATA)
    for n, who in enumerate((operator, other, operator, other), start=1):
        make_order(user_a, who, f"CMD-{n}", at(date(2026, 6, n)))

    # when
    results = run_together(2, lambda index: generate_operator_invoice(
        actor=user_a, organization=org_a, operator=(operator, other)[index], start_date=JUNE[0], end_date=JUNE[1],
        fmt="json").pk)

    # then: two invoices, consecutive numbers, two orders each
    assert [status for status, _ in results] == ["ok", "ok"], results
    year = Invoice.objects.first().date_invoice.year
    assert sorted(Invoice.objects.values_list("code", flat=True)) == [f"ORGA-{year}-000001", f"ORGA-{year}-000002"]
    assert sorted(invoice.line_items.count() for invoice in Invoice.objects.all()) == [2, 2]
    assert lines_per_order() == Counter({pk: 1 for pk in Order.objects.values_list("pk", flat=True)})

