"""The overpayment drill on PostgreSQL: payments recorded at the same moment on one invoice never
add up beyond its total (each payment locks the invoice row, then sums what is committed);
the ones that would are refused OVERPAYMENT and leave no row; flagged overpayments pass."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from core.errors import DomainError
from invoice.constants import EventType, InvoiceStatus
from invoice.models import Invoice, InvoiceEvent, InvoicePayment
from invoice.services.invoices import invoice_validate
from invoice.services.payments import payment_record
from tests.helpers.concurrency import run_together
from tests.invoice.helpers import DEFAULT_TOTAL, make_draft

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgresql():
    assert connection.vendor == "postgresql"


@pytest.fixture
def invoice(user_a, org_a) -> Invoice:
    """Validated, total DEFAULT_TOTAL (289.50)."""
    return invoice_validate(actor=user_a, invoice=make_draft(actor=user_a, organization=org_a))


def outcomes(results) -> list[str]:
    return sorted("ok" if status == "ok" else
                  (value.code.name if isinstance(value, DomainError) else repr(value)) for status, value in results)


def test_concurrent_instalments_stop_at_the_total(user_a, invoice):
    # given: 10 payments of 40.00 on 289.50: 7 fit (280.00), 3 would overpay
    def pay(index):
        return payment_record(actor=user_a, invoice=invoice, data={"amount_payed": "40.00", "code_ext": f"VIR-{index}"})

    # when
    results = run_together(10, pay)

    # then
    assert outcomes(results) == ["OVERPAYMENT"] * 3 + ["ok"] * 7, results
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.status, stored.amount_payed, stored.amount_to_refund) == (
        InvoiceStatus.VALIDATED, Decimal("280.00"), Decimal(0))
    assert InvoicePayment.objects.filter(invoice=invoice).count() == 7
    assert InvoiceEvent.objects.filter(invoice=invoice, event_type=EventType.PAYMENT).count() == 7

    # and the exact remainder still pays it
    payment_record(actor=user_a, invoice=invoice, data={"amount_payed": str(DEFAULT_TOTAL - Decimal("280.00"))})
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID


def test_concurrent_full_payments_accept_one_and_mark_paid_once(user_a, invoice):
    # given: the same bank transfer recorded 8 times at once (double clicks, two importers…)
    def pay(index):
        return payment_record(actor=user_a, invoice=invoice, data={"amount_payed": str(DEFAULT_TOTAL)})

    # when
    results = run_together(8, pay)

    # then
    assert outcomes(results) == ["OVERPAYMENT"] * 7 + ["ok"], results
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.status, stored.amount_payed) == (InvoiceStatus.PAID, DEFAULT_TOTAL)
    assert InvoicePayment.objects.filter(invoice=invoice).count() == 1
    assert InvoiceEvent.objects.filter(invoice=invoice, event_type=EventType.STATUS,
                                       message__startswith="status validated → paid").count() == 1


def test_concurrent_flagged_overpayments_are_all_kept_as_owed_to_the_buyer(user_a, invoice):
    # given
    def pay(index):
        return payment_record(actor=user_a, invoice=invoice, data={"amount_payed": str(DEFAULT_TOTAL),
                                                                   "overpayment": True})

    # when
    results = run_together(4, pay)

    # then
    assert outcomes(results) == ["ok"] * 4, results
    stored = Invoice.objects.get(pk=invoice.pk)
    assert (stored.status, stored.amount_payed, stored.amount_to_refund) == (
        InvoiceStatus.PAID, DEFAULT_TOTAL * 4, DEFAULT_TOTAL * 3)
