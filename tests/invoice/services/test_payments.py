"""payment_record, payment_update, payment_delete: events for every payment, amount_payed derived
from accepted payments, PAID when they cover the total and back when they no longer do."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import DomainError
from invoice.constants import EventType, InvoiceStatus, PaymentStatus
from invoice.models import Invoice, InvoicePayment
from invoice.services.invoices import invoice_cancel, invoice_delete
from invoice.services.payments import payment_delete, payment_record, payment_update
from tests.invoice.helpers import errors_of, make_draft, make_validated, nothing_written

D = Decimal
TOTAL = D("289.50")


def events(invoice) -> list[tuple[int, str]]:
    return [(e.event_type, e.message) for e in invoice.events.order_by("date_created", "id")][1:]  # after "draft created"


def reload(invoice) -> Invoice:
    return Invoice.objects.get(pk=invoice.pk)


def test_an_accepted_payment_covering_the_total_marks_the_invoice_paid(user_a, validated_invoice):
    # when
    payment = payment_record(actor=user_a, invoice=validated_invoice, data={
        "amount_payed": "289.50", "fees": "1.20", "code_ext": "VIR-1", "date_payment": date(2026, 3, 5),
    })

    # then
    payment.refresh_from_db()
    assert (payment.status, payment.amount_payed, payment.fees, payment.amount_received) == (
        PaymentStatus.ACCEPTED, TOTAL, D("1.20"), TOTAL
    )
    assert payment.history.first().history_change_reason == "payment_record"
    invoice = reload(validated_invoice)
    assert (invoice.status, invoice.amount_payed, invoice.date_payed) == (InvoiceStatus.PAID, TOTAL, date(2026, 3, 5))
    assert invoice.history.first().history_change_reason == "payment_sync"
    assert events(invoice)[1:] == [
        (EventType.PAYMENT, "payment (VIR-1) recorded: 289.50 EUR, accepted"),
        (EventType.STATUS, "status validated → paid: paid 289.50 of 289.50"),
    ]


def test_amount_received_is_kept_when_sent(user_a, validated_invoice):
    # when
    payment = payment_record(actor=user_a, invoice=validated_invoice,
                             data={"amount_payed": "100", "fees": "1.50", "amount_received": "98.50"})

    # then
    payment.refresh_from_db()
    assert (payment.amount_payed, payment.fees, payment.amount_received) == (D("100.00"), D("1.50"), D("98.50"))


def test_a_payment_without_date_is_dated_today(user_a, validated_invoice):
    # when
    payment = payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": TOTAL})

    # then
    assert payment.date_payment == timezone.localdate()
    assert reload(validated_invoice).date_payed == timezone.localdate()


def test_a_partial_payment_keeps_the_invoice_validated(user_a, validated_invoice):
    # when
    payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": "100.00"})

    # then
    invoice = reload(validated_invoice)
    assert (invoice.status, invoice.amount_payed, invoice.date_payed) == (InvoiceStatus.VALIDATED, D("100.00"), None)
    assert events(invoice)[1:] == [(EventType.PAYMENT, "payment recorded: 100.00 EUR, accepted")]


def test_partial_payments_adding_up_to_the_total_mark_it_paid(user_a, validated_invoice):
    # given
    payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": "189.50", "date_payment": date(2026, 3, 9)})

    # when
    payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": "100.00", "date_payment": date(2026, 3, 2)})

    # then: paid on the latest payment's date
    invoice = reload(validated_invoice)
    assert (invoice.status, invoice.amount_payed, invoice.date_payed) == (InvoiceStatus.PAID, TOTAL, date(2026, 3, 9))


def test_an_explicit_overpayment_marks_the_invoice_paid(user_a, validated_invoice):
    # when
    payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": "300", "overpayment": True})

    # then
    invoice = reload(validated_invoice)
    assert (invoice.status, invoice.amount_payed, invoice.amount_to_refund) == (InvoiceStatus.PAID, D("300.00"),
                                                                                D("10.50"))


def test_a_rejected_payment_writes_a_payment_error_event_and_changes_nothing_else(user_a, validated_invoice):
    # when
    payment = payment_record(actor=user_a, invoice=validated_invoice,
                             data={"amount_payed": "289.50", "status": PaymentStatus.REJECTED, "code_ext": "PRLV-9"})

    # then
    assert payment.status == PaymentStatus.REJECTED
    invoice = reload(validated_invoice)
    assert (invoice.status, invoice.amount_payed) == (InvoiceStatus.VALIDATED, D("0.00"))
    assert events(invoice)[1:] == [(EventType.PAYMENT_ERROR, "payment (PRLV-9) recorded: 289.50 EUR, rejected")]


@pytest.mark.parametrize("status", [PaymentStatus.REFUNDED, PaymentStatus.CANCELLED], ids=["refunded", "cancelled"])
def test_refunding_or_cancelling_the_payment_reopens_the_invoice(user_a, validated_invoice, status):
    # given
    payment = payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": TOTAL})

    # when
    updated = payment_update(actor=user_a, payment=payment, changes={"status": status}, version=payment.version)

    # then
    assert (updated.status, updated.version) == (status, payment.version + 1)
    invoice = reload(validated_invoice)
    assert (invoice.status, invoice.amount_payed, invoice.date_payed) == (InvoiceStatus.VALIDATED, D("0.00"), None)
    assert events(invoice)[-2:] == [
        (EventType.PAYMENT, f"payment updated: 289.50 EUR, {status.label}"),
        (EventType.STATUS, "status paid → validated: paid 0.00 of 289.50"),
    ]


def test_deleting_the_payment_reopens_the_invoice(user_a, validated_invoice):
    # given
    payment = payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": TOTAL})

    # when
    deleted = payment_delete(actor=user_a, payment=payment, version=payment.version)

    # then
    deleted.refresh_from_db()
    assert deleted.is_deleted is True
    invoice = reload(validated_invoice)
    assert (invoice.status, invoice.amount_payed) == (InvoiceStatus.VALIDATED, D("0.00"))
    assert events(invoice)[-2:] == [
        (EventType.PAYMENT, "payment deleted: 289.50 EUR, accepted"),
        (EventType.STATUS, "status paid → validated: paid 0.00 of 289.50"),
    ]


def test_refund_after_the_due_date_makes_the_invoice_unpaid_then_payable_again(user_a, org_a):
    # given: due 2024-01-31, long past
    invoice = make_validated(actor=user_a, organization=org_a, date_invoice=date(2024, 1, 1))
    payment = payment_record(actor=user_a, invoice=invoice, data={"amount_payed": TOTAL})

    # when
    payment_update(actor=user_a, payment=payment, changes={"status": PaymentStatus.REFUNDED})

    # then
    assert reload(invoice).status == InvoiceStatus.UNPAID
    payment_record(actor=user_a, invoice=invoice, data={"amount_payed": TOTAL})
    assert reload(invoice).status == InvoiceStatus.PAID


def test_lowering_an_accepted_amount_reopens_the_invoice(user_a, validated_invoice):
    # given
    payment = payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": TOTAL})

    # when
    payment_update(actor=user_a, payment=payment, changes={"amount_payed": "200"})

    # then
    invoice = reload(validated_invoice)
    assert (invoice.status, invoice.amount_payed) == (InvoiceStatus.VALIDATED, D("200.00"))


def _draft(user_a, org_a):
    return make_draft(actor=user_a, organization=org_a)


def _cancelled(user_a, org_a):
    return invoice_cancel(actor=user_a, invoice=make_validated(actor=user_a, organization=org_a))[0]


def _credit_note(user_a, org_a):
    return invoice_cancel(actor=user_a, invoice=make_validated(actor=user_a, organization=org_a))[1]


def _deleted(user_a, org_a):
    return invoice_delete(actor=user_a, invoice=make_draft(actor=user_a, organization=org_a))


@pytest.mark.parametrize("build", [_draft, _cancelled, _credit_note, _deleted],
                         ids=["draft", "cancelled", "credit-note", "deleted"])
def test_payments_on_an_invoice_that_is_not_open_are_refused(user_a, org_a, build):
    # given
    invoice = build(user_a, org_a)

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        payment_record(actor=user_a, invoice=invoice, data={"amount_payed": "10"})
    assert errors_of(raised) == [("invoice", "NOT_PAYABLE")]


def test_a_payment_of_a_cancelled_invoice_can_no_longer_change(user_a, validated_invoice):
    # given
    payment = payment_record(actor=user_a, invoice=validated_invoice,
                             data={"amount_payed": "10", "status": PaymentStatus.REJECTED})
    invoice_cancel(actor=user_a, invoice=validated_invoice)

    # when / then
    for call in (
        lambda: payment_update(actor=user_a, payment=payment, changes={"status": PaymentStatus.ACCEPTED}),
        lambda: payment_delete(actor=user_a, payment=payment),
    ):
        with nothing_written(), pytest.raises(DomainError) as raised:
            call()
        assert errors_of(raised) == [("invoice", "NOT_PAYABLE")]


BAD_PAYMENTS = [
    pytest.param({"amount_payed": "10", "fees": "-0.01"}, [("fees", "OUT_OF_RANGE")], id="negative-fees"),
    pytest.param({"amount_payed": "-10"}, [("amountPayed", "OUT_OF_RANGE")], id="negative-amount"),
    pytest.param({"amount_payed": "10", "amount_received": "-1"}, [("amountReceived", "OUT_OF_RANGE")],
                 id="negative-amount-received"),
    pytest.param({"amount_payed": "10.005"}, [("amountPayed", "INVALID")], id="amount-beyond-cents"),
    pytest.param({"amount_payed": "1e17"}, [("amountPayed", "OUT_OF_RANGE")], id="amount-too-large"),
    pytest.param({"amount_payed": "ten"}, [("amountPayed", "INVALID")], id="amount-not-a-number"),
    pytest.param({"amount_payed": "10", "status": 9}, [("status", "INVALID")], id="unknown-status"),
    pytest.param({"amount_payed": "10", "label": "l" * 256}, [("label", "TOO_LONG")], id="label-too-long"),
    pytest.param({"amount_payed": "10", "fees": "-1", "status": 9, "code_ext": "c" * 256},
                 [("codeExt", "TOO_LONG"), ("fees", "OUT_OF_RANGE"), ("status", "INVALID")], id="every-error-at-once"),
]


@pytest.mark.parametrize(("data", "expected"), BAD_PAYMENTS)
def test_record_with_bad_input_writes_nothing(user_a, validated_invoice, data, expected):
    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        payment_record(actor=user_a, invoice=validated_invoice, data=data)
    assert errors_of(raised) == expected


@pytest.mark.parametrize(("data", "expected"), BAD_PAYMENTS)
def test_update_with_bad_input_writes_nothing(user_a, validated_invoice, data, expected):
    # given
    payment = payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": "100"})

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        payment_update(actor=user_a, payment=payment, changes=data, version=payment.version)
    assert errors_of(raised) == expected


def test_update_with_a_stale_version_writes_nothing(user_a, validated_invoice):
    # given
    payment = payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": "100"})
    payment_update(actor=user_a, payment=payment, changes={"label": "first"}, version=payment.version)

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        payment_update(actor=user_a, payment=payment, changes={"label": "second"}, version=payment.version)
    assert errors_of(raised) == [("version", "STALE_VERSION")]
    assert InvoicePayment.objects.get(pk=payment.pk).label == "first"


def test_delete_with_a_stale_version_writes_nothing(user_a, validated_invoice):
    # given
    payment = payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": "100"})

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        payment_delete(actor=user_a, payment=payment, version=payment.version + 1)
    assert errors_of(raised) == [("version", "STALE_VERSION")]
