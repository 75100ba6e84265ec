"""invoice.hooks: other modules hear of status changes inside the changing transaction, with what
the change produced; a hook that raises undoes the change."""
from __future__ import annotations

import pytest

from invoice import hooks
from invoice.constants import DocumentType, InvoiceStatus
from invoice.models import Invoice
from invoice.services.invoices import invoice_cancel


@pytest.fixture
def heard():
    calls = []

    def hook(invoice, *, old, new, actor, **context):
        calls.append((invoice.code, old, new, actor.pk, sorted(context)))
        if context.get("credit_note") is not None and invoice.code == "explode":
            raise RuntimeError("hook failed")

    hooks.on_invoice_status_changed(hook)
    hooks.on_invoice_status_changed(hook)  # registered once
    yield calls
    hooks._invoice_status_hooks.remove(hook)


def test_a_cancellation_is_heard_once_with_its_credit_note(user_a, validated_invoice, heard):
    _, credit = invoice_cancel(actor=user_a, invoice=validated_invoice)
    assert heard == [(validated_invoice.code, InvoiceStatus.VALIDATED, InvoiceStatus.CANCELLED, user_a.pk,
                      ["credit_note"])]
    assert credit.document_type == DocumentType.CREDIT_NOTE


def test_a_hook_that_raises_undoes_the_change(user_a, validated_invoice, heard):
    Invoice.objects.filter(pk=validated_invoice.pk).update(code="explode")
    validated_invoice.refresh_from_db()
    with pytest.raises(RuntimeError):
        invoice_cancel(actor=user_a, invoice=validated_invoice)
    validated_invoice.refresh_from_db()
    assert validated_invoice.status == InvoiceStatus.VALIDATED
    assert not Invoice.objects.filter(related_invoice=validated_invoice).exists()
