"""Scoped reads of invoices. Every query goes through core.tenancy.scope."""
from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from core.tenancy import get_scoped, scope
from invoice.models import Invoice, InvoiceEvent, InvoiceLineItem, InvoicePayment


def invoice_list(organization, *, include_deleted: bool = False) -> QuerySet:
    qs = scope(Invoice.objects.all(), organization)
    return qs if include_deleted else qs.filter(is_deleted=False)


def invoice_get(organization, pk, *, field: str = "id") -> Invoice:
    return get_scoped(Invoice.objects.all(), organization, pk, what="invoice", field=field)


def invoice_lock(pk) -> Invoice:
    """Lock the invoice row for the rest of the transaction (writers queue up here)."""
    return Invoice.objects.select_for_update().get(pk=pk)


def line_get(organization, pk, *, field: str = "id") -> InvoiceLineItem:
    return get_scoped(InvoiceLineItem.objects.select_related("invoice"), organization, pk, what="invoice line", field=field)


def payment_get(organization, pk, *, field: str = "id") -> InvoicePayment:
    return get_scoped(InvoicePayment.objects.select_related("invoice"), organization, pk, what="payment", field=field)


def event_get(organization, pk, *, field: str = "id") -> InvoiceEvent:
    return get_scoped(InvoiceEvent.objects.select_related("invoice"), organization, pk, what="invoice event", field=field)


def active_lines(invoice: Invoice) -> list[InvoiceLineItem]:
    return list(InvoiceLineItem.objects.filter(invoice=invoice, is_deleted=False).order_by("date_created", "id"))


def accepted_payments(invoice: Invoice) -> QuerySet:
    from invoice.constants import PaymentStatus

    return InvoicePayment.objects.filter(invoice=invoice, is_deleted=False, status=PaymentStatus.ACCEPTED)


def invoice_with_children(organization) -> QuerySet:
    """Invoices with their lines, payments and events prefetched (for card and list pages)."""
    return invoice_list(organization).prefetch_related(
        Prefetch("line_items", queryset=InvoiceLineItem.objects.filter(is_deleted=False)),
        Prefetch("payments", queryset=InvoicePayment.objects.filter(is_deleted=False)),
        Prefetch("events", queryset=InvoiceEvent.objects.filter(is_deleted=False).select_related("user")),
    )
