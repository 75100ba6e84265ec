"""invoice_cancel: an issued invoice is cancelled by a credit note (CREDIT_NOTE, related_invoice,
own number, amounts and VAT the exact negatives of the original); payments block it."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from core.calculation import FR_VAT_5_5, FR_VAT_20
from core.errors import DomainError
from invoice.constants import DocumentType, EventType, InvoiceStatus, PaymentStatus
from invoice.models import Invoice, InvoiceLineItem, InvoiceNumberSequence
from invoice.services.invoices import invoice_cancel
from invoice.services.payments import payment_record, payment_update
from tests.invoice.helpers import errors_of, make_draft, make_validated, nothing_written

D = Decimal


def year() -> int:
    return timezone.localdate().year


def negated(analysis: dict) -> dict:
    return {
        "lines": [dict(line, base=str(-D(line["base"])), amount=str(-D(line["amount"]))) for line in analysis["lines"]],
        "total": str(-D(analysis["total"])),
    }


def test_cancel_issues_a_credit_note_mirroring_the_invoice(user_a, org_a, validated_invoice):
    # when
    invoice, credit = invoice_cancel(actor=user_a, invoice=validated_invoice, version=validated_invoice.version,
                                     reason="erreur de tarif")

    # then: the original is cancelled
    invoice.refresh_from_db()
    credit = Invoice.objects.get(pk=credit.pk)
    assert invoice.status == InvoiceStatus.CANCELLED
    assert invoice.version == validated_invoice.version + 1
    # the credit note is issued, numbered in the same series, and points to the original
    assert credit.document_type == DocumentType.CREDIT_NOTE
    assert credit.related_invoice == invoice
    assert credit.status == InvoiceStatus.VALIDATED
    assert credit.code == f"ORGA-{year()}-000002"
    assert credit.payment_reference == credit.code
    assert credit.note == f"Avoir annulant la facture {invoice.code} : erreur de tarif"
    assert InvoiceNumberSequence.objects.get(organization=org_a, year=year()).last_number == 2
    # its amounts are exactly the negatives
    assert (credit.amount_net, credit.amount_discount, credit.amount_total) == (D("-245.00"), D("-5.00"), D("-289.50"))
    assert credit.tax_analysis == negated(invoice.tax_analysis)
    assert credit.tax_analysis == {
        "lines": [
            {"code": "FR_VAT_20", "label": "TVA 20 %", "rate": "0.20", "base": "-200.00", "amount": "-40.00", "category": "S"},
            {"code": "FR_VAT_10", "label": "TVA 10 %", "rate": "0.10", "base": "-45.00", "amount": "-4.50", "category": "S"},
        ],
        "total": "-44.50",
    }
    originals = list(invoice.line_items.order_by("code"))
    copies = list(credit.line_items.order_by("code"))
    assert [(c.code, c.quantity, c.unit_price, c.discount, c.tax_rate, c.amount_net, c.amount_total) for c in copies] == [
        (o.code, -o.quantity, o.unit_price, o.discount, o.tax_rate, -o.amount_net, -o.amount_total) for o in originals
    ]
    assert [c.tax_analysis for c in copies] == [negated(o.tax_analysis) for o in originals]
    # events on both, history on both
    assert invoice.events.filter(event_type=EventType.STATUS).order_by("-date_created").first().message == (
        f"status validated → cancelled: credit note {credit.code} (erreur de tarif)"
    )
    assert [(e.event_type, e.message) for e in credit.events.all()] == [
        (EventType.STATUS, f"credit note {credit.code} issued for invoice {invoice.code}")
    ]
    assert invoice.history.first().history_change_reason == "invoice_cancel"
    assert [h.history_change_reason for h in credit.history.all()] == ["invoice_cancel"]
    assert all(c.history.count() == 1 for c in copies)


def test_credit_note_mirrors_rounding_sensitive_amounts_exactly(user_a, org_a):
    # given: VAT per rule on summed bases rounds differently from per line
    invoice = make_validated(actor=user_a, organization=org_a, lines=[
        {"unit_price": "10.03", "tax_rate": FR_VAT_20.id},
        {"unit_price": "10.03", "tax_rate": FR_VAT_20.id},
        {"unit_price": "10.03", "tax_rate": FR_VAT_20.id},
        {"unit_price": "19.99", "quantity": "3", "discount": "0.15", "deduction": "5", "tax_rate": FR_VAT_5_5.id},
    ])

    # when
    _, credit = invoice_cancel(actor=user_a, invoice=invoice)

    # then
    credit = Invoice.objects.get(pk=credit.pk)
    assert (invoice.amount_net, invoice.amount_discount, invoice.amount_total) == (D("76.06"), D("14.00"), D("84.61"))
    assert (credit.amount_net, credit.amount_discount, credit.amount_total) == (D("-76.06"), D("-14.00"), D("-84.61"))
    assert credit.tax_analysis == negated(invoice.tax_analysis)
    assert credit.tax_analysis["total"] == "-8.55"


def test_cancel_with_accepted_payments_writes_nothing(user_a, validated_invoice):
    # given
    payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": "100.00"})
    invoice = Invoice.objects.get(pk=validated_invoice.pk)

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_cancel(actor=user_a, invoice=invoice)
    assert errors_of(raised) == [("amountPayed", "HAS_PAYMENTS")]


def test_cancel_of_a_paid_invoice_says_it_has_payments(user_a, validated_invoice):
    # given
    payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": "289.50"})
    assert Invoice.objects.get(pk=validated_invoice.pk).status == InvoiceStatus.PAID

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_cancel(actor=user_a, invoice=validated_invoice)
    assert errors_of(raised) == [("amountPayed", "HAS_PAYMENTS")]


def test_cancel_after_the_payment_is_refunded(user_a, validated_invoice):
    # given
    payment = payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": "289.50"})
    payment_update(actor=user_a, payment=payment, changes={"status": PaymentStatus.REFUNDED})

    # when
    invoice, credit = invoice_cancel(actor=user_a, invoice=validated_invoice)

    # then
    assert invoice.status == InvoiceStatus.CANCELLED
    assert credit.amount_total == D("-289.50")


def test_a_rejected_payment_does_not_block_cancel(user_a, validated_invoice):
    # given
    payment_record(actor=user_a, invoice=validated_invoice,
                   data={"amount_payed": "289.50", "status": PaymentStatus.REJECTED})

    # when
    invoice, _ = invoice_cancel(actor=user_a, invoice=validated_invoice)

    # then
    assert invoice.status == InvoiceStatus.CANCELLED


def test_cancel_of_a_draft_is_illegal(user_a, draft_invoice):
    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_cancel(actor=user_a, invoice=draft_invoice)
    assert errors_of(raised) == [("status", "ILLEGAL_TRANSITION")]


def test_cancel_twice_is_illegal(user_a, validated_invoice):
    # given
    invoice_cancel(actor=user_a, invoice=validated_invoice)

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_cancel(actor=user_a, invoice=validated_invoice)
    assert errors_of(raised) == [("status", "ILLEGAL_TRANSITION")]


def test_a_credit_note_cannot_be_cancelled(user_a, validated_invoice):
    # given
    _, credit = invoice_cancel(actor=user_a, invoice=validated_invoice)

    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_cancel(actor=user_a, invoice=credit)
    assert errors_of(raised) == [("documentType", "ILLEGAL_TRANSITION")]


def test_cancel_with_a_stale_version_writes_nothing(user_a, validated_invoice):
    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_cancel(actor=user_a, invoice=validated_invoice, version=validated_invoice.version + 1)
    assert errors_of(raised) == [("version", "STALE_VERSION")]


def test_cancel_with_a_too_long_reason_writes_nothing(user_a, validated_invoice):
    # when / then
    with nothing_written(), pytest.raises(DomainError) as raised:
        invoice_cancel(actor=user_a, invoice=validated_invoice, reason="x" * 2001)
    assert errors_of(raised) == [("reason", "TOO_LONG")]


def test_removed_lines_are_not_credited(user_a, org_a):
    # given
    draft = make_draft(actor=user_a, organization=org_a)
    from invoice.services.invoices import invoice_validate
    from invoice.services.lines import line_remove

    line_remove(actor=user_a, line=draft.line_items.get(code="L2"))
    invoice = invoice_validate(actor=user_a, invoice=draft)

    # when
    _, credit = invoice_cancel(actor=user_a, invoice=invoice)

    # then
    assert list(InvoiceLineItem.objects.filter(invoice=credit).values_list("code", flat=True)) == ["L1"]
    assert credit.amount_total == D("-240.00")
