"""Payments add up: accepted payments never exceed the invoice's total unless one is explicitly an
overpayment (its excess is then the balance in favour of the buyer, amount_to_refund); no zero
payment, no payment dated after today. Each refusal writes nothing."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import DomainError
from invoice.constants import InvoiceStatus, PaymentStatus
from invoice.models import Invoice
from invoice.services.payments import payment_record, payment_update
from tests.invoice.helpers import DEFAULT_TOTAL, errors_of, nothing_written

D = Decimal


def reload(invoice) -> Invoice:
    return Invoice.objects.get(pk=invoice.pk)


@pytest.mark.parametrize(("data", "expected"), [
    ({"amount_payed": "289.51"}, [("amountPayed", "OVERPAYMENT")]),
    ({"amount_payed": "0"}, [("amountPayed", "ZERO_PAYMENT")]),
    ({}, [("amountPayed", "ZERO_PAYMENT")]),
    ({"amount_payed": "10", "date_payment": timezone.localdate() + timedelta(days=1)},
     [("datePayment", "DATE_IN_FUTURE")]),
    ({"amount_payed": "0", "date_payment": timezone.localdate() + timedelta(days=1)},
     [("amountPayed", "ZERO_PAYMENT"), ("datePayment", "DATE_IN_FUTURE")]),
], ids=["beyond the total", "zero", "no amount", "tomorrow", "zero and tomorrow"])
def test_a_payment_that_does_not_add_up_is_refused(user_a, validated_invoice, data, expected):
    # when
    with nothing_written(), pytest.raises(DomainError) as raised:
        payment_record(actor=user_a, invoice=validated_invoice, data=data)

    # then
    assert errors_of(raised) == expected


def test_payments_up_to_the_total_are_accepted_and_one_cent_more_is_refused(user_a, validated_invoice):
    # given
    payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": "200.00"})
    payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": "89.50"})
    assert reload(validated_invoice).status == InvoiceStatus.PAID

    # when: a PAID invoice gets one more cent
    with nothing_written(), pytest.raises(DomainError) as raised:
        payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": "0.01"})

    # then
    assert errors_of(raised) == [("amountPayed", "OVERPAYMENT")]
    assert "at most 0.00 can still be accepted" in raised.value.message


def test_an_explicit_overpayment_is_accepted_and_shown_as_owed_to_the_buyer(user_a, validated_invoice):
    # when
    payment = payment_record(actor=user_a, invoice=validated_invoice,
                             data={"amount_payed": "300.00", "overpayment": True, "label": "Virement en double"})

    # then
    invoice = reload(validated_invoice)
    assert payment.overpayment is True
    assert (invoice.status, invoice.amount_payed, invoice.amount_to_refund) == (
        InvoiceStatus.PAID, D("300.00"), D("300.00") - DEFAULT_TOTAL)


def test_rejected_payments_do_not_count_and_are_not_limited(user_a, validated_invoice):
    # when
    payment_record(actor=user_a, invoice=validated_invoice,
                   data={"amount_payed": "1000.00", "status": PaymentStatus.REJECTED})
    payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": str(DEFAULT_TOTAL)})

    # then
    invoice = reload(validated_invoice)
    assert (invoice.status, invoice.amount_payed, invoice.amount_to_refund) == (InvoiceStatus.PAID, DEFAULT_TOTAL, D(0))


@pytest.mark.parametrize(("changes", "expected"), [
    ({"status": PaymentStatus.ACCEPTED}, [("amountPayed", "OVERPAYMENT")]),
    ({"amount_payed": "0"}, [("amountPayed", "ZERO_PAYMENT")]),
    ({"date_payment": timezone.localdate() + timedelta(days=2)}, [("datePayment", "DATE_IN_FUTURE")]),
], ids=["re-accepting a refunded payment", "to zero", "to a future date"])
def test_an_update_that_breaks_the_rule_is_refused(user_a, validated_invoice, changes, expected):
    # given: a refunded full payment, then another full payment (the demo's "refunded then paid")
    first = payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": str(DEFAULT_TOTAL)})
    first = payment_update(actor=user_a, payment=first, changes={"status": PaymentStatus.REFUNDED})
    payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": str(DEFAULT_TOTAL)})

    # when
    with nothing_written(), pytest.raises(DomainError) as raised:
        payment_update(actor=user_a, payment=first, changes=changes)

    # then
    assert errors_of(raised) == expected


def test_an_update_raising_an_accepted_amount_counts_the_other_payments(user_a, validated_invoice):
    # given
    payment = payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": "100.00"})
    payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": "100.00"})

    # when: 100 → 189.50 fits exactly, 189.51 does not
    payment = payment_update(actor=user_a, payment=payment, changes={"amount_payed": "189.50"})
    with nothing_written(), pytest.raises(DomainError) as raised:
        payment_update(actor=user_a, payment=payment, changes={"amount_payed": "189.51"})

    # then
    assert errors_of(raised) == [("amountPayed", "OVERPAYMENT")]
    assert reload(validated_invoice).status == InvoiceStatus.PAID
