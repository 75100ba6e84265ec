"""Fixtures of the invoice GraphQL tests. Invoices are built through the services, with user_a
acting for org_a (tests/invoice/conftest.py gives empty_draft, draft_invoice with its two lines,
and validated_invoice, numbered <PREFIX>-<year>-000001)."""
from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from invoice.constants import PaymentStatus
from invoice.models import Invoice, InvoiceEvent, InvoiceLineItem, InvoicePayment
from invoice.services.events import event_message_create
from invoice.services.invoices import invoice_cancel
from invoice.services.payments import payment_record, payment_update
from tests.invoice.helpers import make_draft, make_validated


@pytest.fixture
def lines(draft_invoice) -> list[InvoiceLineItem]:
    """draft_invoice's two lines: L1 (2 × 100.00 at 20 %) and L2 (1 × 50.00 − 10 % at 10 %)."""
    return list(InvoiceLineItem.objects.filter(invoice=draft_invoice).order_by("date_created", "id"))


@pytest.fixture
def validated_lines(validated_invoice) -> list[InvoiceLineItem]:
    return list(InvoiceLineItem.objects.filter(invoice=validated_invoice).order_by("date_created", "id"))


@pytest.fixture
def partial_payment(user_a, validated_invoice) -> InvoicePayment:
    """An accepted payment of 100.00 (fees 1.50) on validated_invoice (total 289.50): still VALIDATED."""
    return payment_record(actor=user_a, invoice=validated_invoice, data={
        "amount_payed": Decimal("100.00"), "fees": Decimal("1.50"), "code_ext": "VIR-0001", "label": "virement",
    })


@pytest.fixture
def paid_invoice(user_a, validated_invoice) -> Invoice:
    """validated_invoice paid in full by one accepted payment of 289.50: PAID."""
    payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": validated_invoice.amount_total,
                                                                   "code_ext": "VIR-FULL"})
    return Invoice.objects.get(pk=validated_invoice.pk)


@pytest.fixture
def full_payment(paid_invoice) -> InvoicePayment:
    return InvoicePayment.objects.get(invoice=paid_invoice)


@pytest.fixture
def cancelled_invoice(user_a, validated_invoice) -> Invoice:
    """validated_invoice cancelled by its credit note (<PREFIX>-<year>-000002)."""
    invoice, _credit_note = invoice_cancel(actor=user_a, invoice=validated_invoice, reason="erreur de destinataire")
    return invoice


@pytest.fixture
def rejected_payment_of_cancelled(user_a, validated_invoice) -> InvoicePayment:
    """A payment recorded, then rejected, on an invoice that was cancelled afterwards."""
    payment = payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": Decimal("10.00")})
    payment = payment_update(actor=user_a, payment=payment, changes={"status": PaymentStatus.REJECTED})
    invoice_cancel(actor=user_a, invoice=validated_invoice)
    return InvoicePayment.objects.get(pk=payment.pk)


@pytest.fixture
def message(user_a, draft_invoice) -> InvoiceEvent:
    """A MESSAGE event written by user_a on draft_invoice."""
    return event_message_create(actor=user_a, invoice=draft_invoice, message="Relancé par téléphone")




@pytest.fixture
def world_a(user_a, org_a) -> SimpleNamespace:
    """Org A's objects, one of each kind: a validated invoice (number 1), an invoice (number 2)
    with a partial payment, and a draft with two lines and a message."""
    validated = make_validated(actor=user_a, organization=org_a)
    billed = make_validated(actor=user_a, organization=org_a)
    payment = payment_record(actor=user_a, invoice=billed, data={"amount_payed": Decimal("100.00")})
    draft = make_draft(actor=user_a, organization=org_a)
    lines = list(InvoiceLineItem.objects.filter(invoice=draft).order_by("date_created", "id"))
    message = event_message_create(actor=user_a, invoice=draft, message="Relancé par téléphone")
    return SimpleNamespace(validated=validated, billed=Invoice.objects.get(pk=billed.pk), payment=payment, draft=draft,
                           lines=lines, message=message)
