"""Filters of the invoice list and of the card page's tabs: every shown field is searchable.
Status-like values may arrive as quoted strings ("1") and amounts as bare numbers (openIMIS)."""
from __future__ import annotations

import django_filters
import graphene
from graphene_django.filter.filters import TypedFilter

from core.gql.fields import IntegerCodeFilter, UUIDOrGlobalIDFilter
from core.gql.scalars import DecimalLiteralFilter
from invoice.models import Invoice, InvoiceEvent, InvoiceLineItem, InvoicePayment

TEXT = ["exact", "iexact", "istartswith", "icontains"]
RANGE = ["exact", "lt", "lte", "gt", "gte"]
AUDIT = {"date_created": RANGE, "date_updated": RANGE, "is_deleted": ["exact"], "version": ["exact"]}


def with_decimal_filters(*names: str) -> type[django_filters.FilterSet]:
    """A FilterSet base declaring range filters on decimal fields that accept bare numbers
    (`amountTotal_Lte: 100.5`); declared filters keep graphene-django from typing them Decimal."""
    filters = {}
    for name in names:
        for lookup in RANGE:
            key = name if lookup == "exact" else f"{name}__{lookup}"
            filters[key] = DecimalLiteralFilter(field_name=name, lookup_expr=lookup)
    return type(django_filters.FilterSet)("DecimalFilterSet", (django_filters.FilterSet,), filters)


class ContentTypeNameFilter(django_filters.CharFilter):
    """`subjectType: "organization"` (picker type), a model name, or a ContentType id."""

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        text = str(value).strip()
        if text.isdigit():
            return qs.filter(**{f"{self.field_name}_id": int(text)})
        from core import pickers

        picker = pickers._TYPES.get(text.lower())
        model = (picker.model_label.split(".")[1] if picker else text).lower()
        return qs.filter(**{f"{self.field_name}__model": model})


class OverdueFilter(django_filters.BooleanFilter):
    """`overdue: true` keeps the overdue invoices, `false` the others (invoice.selectors.overdue_q)."""

    def filter(self, qs, value):
        from invoice.selectors import overdue_q

        if value is None:
            return qs
        return qs.filter(overdue_q()) if value else qs.exclude(overdue_q())


class DueFilter(django_filters.BooleanFilter):
    """`due: true` keeps the invoices that still ask for money (invoice.selectors.due_q)."""

    def filter(self, qs, value):
        from invoice.selectors import due_q

        if value is None:
            return qs
        return qs.filter(due_q()) if value else qs.exclude(due_q())


class InvoiceFilter(with_decimal_filters("amount_discount", "amount_net", "amount_total", "amount_payed")):
    id = UUIDOrGlobalIDFilter(field_name="id")
    overdue = OverdueFilter()
    status = IntegerCodeFilter(field_name="status")
    document_type = django_filters.CharFilter(field_name="document_type")
    subject_type = ContentTypeNameFilter(field_name="subject_type")
    thirdparty_type = ContentTypeNameFilter(field_name="thirdparty_type")
    subject_id = UUIDOrGlobalIDFilter(field_name="subject_id")
    thirdparty_id = UUIDOrGlobalIDFilter(field_name="thirdparty_id")
    related_invoice_id = UUIDOrGlobalIDFilter(field_name="related_invoice_id")

    class Meta:
        model = Invoice
        fields = {
            "code": TEXT, "code_tp": TEXT, "code_ext": TEXT, "payment_reference": TEXT, "note": ["icontains"],
            "terms": ["icontains"], "currency_code": ["exact"],
            "currency_tp_code": ["exact"], "status": ["in"],
            "date_due": RANGE, "date_invoice": RANGE, "date_valid_from": RANGE, "date_valid_to": RANGE,
            "date_payed": RANGE, **AUDIT,
        }


class InvoiceLineItemFilter(
    with_decimal_filters("quantity", "unit_price", "discount", "deduction", "amount_net", "amount_total")
):
    id = UUIDOrGlobalIDFilter(field_name="id")
    invoice__id = UUIDOrGlobalIDFilter(field_name="invoice_id")
    line_type = ContentTypeNameFilter(field_name="line_type")
    line_id = UUIDOrGlobalIDFilter(field_name="line_id")
    tax_rate = UUIDOrGlobalIDFilter(field_name="tax_rate")

    class Meta:
        model = InvoiceLineItem
        fields = {
            "code": TEXT, "description": TEXT, "ledger_account": TEXT, "date_valid_from": RANGE, "date_valid_to": RANGE, **AUDIT,
        }


class InvoicePaymentFilter(with_decimal_filters("amount_payed", "fees", "amount_received")):
    id = UUIDOrGlobalIDFilter(field_name="id")
    invoice__id = UUIDOrGlobalIDFilter(field_name="invoice_id")
    status = IntegerCodeFilter(field_name="status")
    reconciliation_status = IntegerCodeFilter(field_name="reconciliation_status")

    class Meta:
        model = InvoicePayment
        fields = {
            "code_ext": TEXT, "label": TEXT, "code_rcp": TEXT, "code_tp": TEXT, "code_receipt": TEXT,
            "payment_origin": TEXT, "payer_ref": TEXT, "payer_name": TEXT, "date_payment": RANGE, **AUDIT,
        }


class InvoiceEventFilter(django_filters.FilterSet):
    id = UUIDOrGlobalIDFilter(field_name="id")
    invoice__id = UUIDOrGlobalIDFilter(field_name="invoice_id")
    event_type = IntegerCodeFilter(field_name="event_type")
    user__username = django_filters.CharFilter(field_name="user__username", lookup_expr="icontains")

    class Meta:
        model = InvoiceEvent
        fields = {"message": TEXT, **AUDIT}


class UUIDListFilter(TypedFilter):
    """`subjectIds: ["<uuid>", …]`: raw UUIDs or global ids."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("input_type", graphene.List(graphene.String))
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        from core.gql.fields import parse_uuid_or_global_id

        return qs.filter(**{f"{self.field_name}__in": [parse_uuid_or_global_id(v) for v in value]})


class PaymentInvoiceFilter(InvoicePaymentFilter):
    """openIMIS `paymentInvoice`: the payments of the invoices named by `subjectIds`."""

    subject_ids = UUIDListFilter(field_name="invoice_id")

    class Meta(InvoicePaymentFilter.Meta):
        pass


class CustomerInvoiceFilter(django_filters.FilterSet):
    """`myInvoices`' filters: status, issue dates, billed period (overlap), organisation, due/overdue."""

    id = UUIDOrGlobalIDFilter(field_name="id")
    status = IntegerCodeFilter(field_name="status")
    document_type = django_filters.CharFilter(field_name="document_type")
    organization_id = UUIDOrGlobalIDFilter(field_name="organization_id")
    code = django_filters.CharFilter(field_name="code", lookup_expr="icontains")
    date_from = django_filters.DateFilter(field_name="date_invoice", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="date_invoice", lookup_expr="lte")
    # The billed period [date_valid_from, date_valid_to] overlaps [periodStart, periodEnd].
    period_start = django_filters.DateFilter(field_name="date_valid_to", lookup_expr="gte")
    period_end = django_filters.DateFilter(field_name="date_valid_from", lookup_expr="lte")
    due = DueFilter()
    overdue = OverdueFilter()

    class Meta:
        model = Invoice
        fields = []
