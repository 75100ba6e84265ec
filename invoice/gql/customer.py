"""What a customer principal reads (GraphQL `myInvoices`): the invoices billed to them, with only
what was sent to them anyway — numbers, dates, amounts, status, lines as printed, their documents
and the messages addressed to them. Never an organisation-internal field: staff notes, ledger
accounts, external codes, authors, storage keys, failure reasons, other events (tested by
introspection in tests/invoice/gql/test_my_invoices.py). Every type is scoped by
core.gql.types.CustomerObjectType (core.tenancy.scope_to_customer); nested lists read what
`optimize_queryset` prefetched."""
from __future__ import annotations

import graphene
from django.db.models import Prefetch

from core import pickers
from core.gql.fields import selected_node_fields
from core.gql.types import CustomerObjectType, ExtendedConnection
from invoice.constants import DocumentStatus, InvoiceStatus
from invoice.gql.filters import CustomerInvoiceFilter
from invoice.gql.types import generic_prefetch
from invoice.models import Invoice, InvoiceDocument, InvoiceEvent, InvoiceLineItem
from invoice.selectors import (
    amount_due,
    customer_documents_q,
    customer_invoice_list,
    customer_messages_q,
    is_overdue,
    totals_due,
)


class CustomerInvoiceLineGQLType(CustomerObjectType):
    details_text = graphene.String(description="the line's details as printed")
    tax_rate_label = graphene.String()

    class Meta:
        model = InvoiceLineItem
        skip_registry = True
        fields = ("id", "code", "description", "quantity", "unit_price", "discount", "deduction", "amount_net",
                  "amount_total", "date_valid_from", "date_valid_to")

    def resolve_details_text(self, info):
        return (self.details or {}).get("text", "") if isinstance(self.details, dict) else ""

    def resolve_tax_rate_label(self, info):
        from core.calculation import builtin_rule

        rule = builtin_rule(self.tax_rate)
        return rule.label if rule else None


class CustomerInvoiceDocumentGQLType(CustomerObjectType):
    download_path = graphene.String(description="GET it with your token (REST): the file, once created")

    class Meta:
        model = InvoiceDocument
        skip_registry = True
        convert_choices_to_enum = False
        fields = ("id", "format", "status", "date_generated", "size", "checksum")

    def resolve_download_path(self, info):
        if self.status != DocumentStatus.CREATED:
            return None
        return f"/v2/me/invoices/{self.invoice_id}/download?format={self.format}"


class CustomerInvoiceMessageGQLType(CustomerObjectType):
    class Meta:
        model = InvoiceEvent
        skip_registry = True
        fields = ("id", "message", "date_created")


class CurrencyTotalGQLType(graphene.ObjectType):
    currency_code = graphene.String(required=True)
    amount_due = graphene.Decimal(required=True, description="still owed on due invoices")
    count_due = graphene.Int(required=True)
    amount_overdue = graphene.Decimal(required=True, description="the part of it past its due date")
    count_overdue = graphene.Int(required=True)


class CustomerInvoiceConnection(ExtendedConnection):
    """A page of myInvoices, and the totals of the whole filtered list (not only the page)."""

    totals_due = graphene.List(graphene.NonNull(CurrencyTotalGQLType), required=True,
                               description="per currency, over every invoice the filters keep")

    class Meta:
        abstract = True

    def resolve_totals_due(self, info):
        return [CurrencyTotalGQLType(**row) for row in totals_due(self.iterable)]


class CustomerInvoiceGQLType(CustomerObjectType):
    status_name = graphene.String(required=True, description="validated, paid, cancelled, unpaid, …")
    amount_tax = graphene.Decimal(required=True)
    amount_due = graphene.Decimal(required=True, description="what you still owe on this invoice")
    overdue = graphene.Boolean(required=True, description="an unpaid remainder past the due date")
    organization_id = graphene.UUID(required=True, description="the organisation that bills you")
    organization_name = graphene.String(required=True)
    billed_to_code = graphene.String(description="your operator's code at that organisation")
    billed_to_name = graphene.String()
    related_invoice_code = graphene.String(description="a credit note's invoice")
    lines = graphene.List(graphene.NonNull(CustomerInvoiceLineGQLType), required=True)
    documents = graphene.List(graphene.NonNull(CustomerInvoiceDocumentGQLType), required=True)
    messages = graphene.List(graphene.NonNull(CustomerInvoiceMessageGQLType), required=True,
                             description="messages the organisation addressed to you")

    orderable_fields = ("date_invoice", "date_due", "code", "amount_total", "status")
    default_ordering = ("-date_invoice", "-code")

    class Meta:
        model = Invoice
        skip_registry = True
        interfaces = (graphene.relay.Node,)
        filterset_class = CustomerInvoiceFilter
        connection_class = CustomerInvoiceConnection
        convert_choices_to_enum = False
        fields = ("id", "code", "document_type", "date_invoice", "date_due", "date_valid_from", "date_valid_to",
                  "date_payed", "amount_discount", "amount_net", "amount_total", "amount_payed", "currency_code",
                  "status", "payment_reference", "terms", "overdue_since")

    @classmethod
    def get_queryset(cls, queryset, info):
        scoped = super().get_queryset(queryset, info)  # core.tenancy.scope_to_customer
        return customer_invoice_list(CustomerObjectType.principal(info), scoped)

    def resolve_status_name(self, info):
        return InvoiceStatus(self.status).label

    def resolve_amount_tax(self, info):
        return self.amount_total - self.amount_net

    def resolve_amount_due(self, info):
        return amount_due(self)

    def resolve_overdue(self, info):
        return is_overdue(self)

    def resolve_organization_id(self, info):
        return self.organization_id

    def resolve_organization_name(self, info):
        return self.organization.name

    def resolve_billed_to_code(self, info):
        summary = pickers.summarize(self.thirdparty)
        return summary["code"] if summary else None

    def resolve_billed_to_name(self, info):
        summary = pickers.summarize(self.thirdparty)
        return summary["label"] if summary else None

    def resolve_related_invoice_code(self, info):
        return self.related_invoice.code if self.related_invoice_id else None

    def resolve_lines(self, info):
        return list(self.line_items.all())

    def resolve_documents(self, info):
        return list(self.documents.all())

    def resolve_messages(self, info):
        return list(self.events.all())

    @classmethod
    def optimize_queryset(cls, qs, info):
        selected = selected_node_fields(info)
        related = ["organization"]
        if "relatedInvoiceCode" in selected:
            related.append("related_invoice")
        prefetches = []
        if selected & {"billedToCode", "billedToName"}:
            qs = qs.select_related("thirdparty_type")
            prefetches.append(generic_prefetch("thirdparty"))
        if "lines" in selected:
            prefetches.append(Prefetch("line_items", queryset=InvoiceLineItem.objects.filter(is_deleted=False)
                                       .order_by("date_created", "id")))
        if "documents" in selected:
            prefetches.append(Prefetch("documents", queryset=InvoiceDocument.objects.filter(customer_documents_q())
                                       .order_by("-date_created")))
        if "messages" in selected:
            prefetches.append(Prefetch("events", queryset=InvoiceEvent.objects.filter(customer_messages_q())
                                       .order_by("date_created", "id")))
        return qs.select_related(*related).prefetch_related(*prefetches)
