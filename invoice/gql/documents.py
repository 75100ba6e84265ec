"""GraphQL of generated documents: the invoiceDocument query and its downloadUrl."""
from __future__ import annotations

import django_filters
import graphene

from core.gql.fields import UUIDOrGlobalIDFilter
from core.gql.types import TenantObjectType
from invoice.models import InvoiceDocument


class InvoiceDocumentFilter(django_filters.FilterSet):
    id = UUIDOrGlobalIDFilter(field_name="id")
    invoice__id = UUIDOrGlobalIDFilter(field_name="invoice_id")
    operator__id = UUIDOrGlobalIDFilter(field_name="operator_id")
    status = django_filters.CharFilter(field_name="status")
    format = django_filters.CharFilter(field_name="format")
    period_from = django_filters.DateFilter(field_name="end_date", lookup_expr="gte", label="period ends on or after")
    period_to = django_filters.DateFilter(field_name="start_date", lookup_expr="lte", label="period starts on or before")

    class Meta:
        model = InvoiceDocument
        fields = {"date_created": ["gte", "lte"]}


class InvoiceDocumentGQLType(TenantObjectType):
    download_url = graphene.String(description="short-lived URL of the file (created documents only)")
    invoice_code = graphene.String()

    orderable_fields = ("date_created", "status", "format", "start_date", "end_date")

    class Meta:
        model = InvoiceDocument
        permissions = ("invoice.view_invoicedocument",)
        interfaces = (graphene.relay.Node,)
        filterset_class = InvoiceDocumentFilter
        convert_choices_to_enum = False
        fields = ("id", "invoice", "operator", "start_date", "end_date", "format", "status", "url", "checksum", "size",
                  "content_type", "attempts", "error_code", "error_message", "date_created", "date_updated",
                  "date_generated")

    def resolve_invoice_code(self, info):
        return self.invoice.code

    def resolve_download_url(self, info):
        from invoice.services.downloads import download_url

        return download_url(self, request=info.context)

    @classmethod
    def optimize_queryset(cls, qs, info):
        return qs.select_related("invoice", "operator")
