"""/v2/me — the operator users' portal over REST (read-only), beside GraphQL `myInvoices`.

A caller here is a customer principal (core.tenancy.customer_for_request): the invoices billed to
the operators whose invitation they accepted, at every organisation. No role, no X-Organization, no
API key (an organisation's credential sees nothing here). Another party's invoice, a draft, a
deleted invoice or a malformed id all answer the same 404 NOT_FOUND. Accepting an invitation needs
no credential: its one-time token is one."""
from __future__ import annotations

from typing import ClassVar

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.rest.permissions import IsAnyone, IsCustomer
from core.tenancy import customer_for_request
from invoice.constants import DOCUMENT_CONTENT_TYPES, DocumentStatus, InvoiceStatus
from invoice.models import InvoiceDocument
from invoice.selectors import (
    amount_due,
    customer_documents_q,
    customer_download_document,
    customer_invoice_list,
    is_overdue,
    totals_due,
)
from invoice.services import documents
from payment_module.rest.filters import (
    BETWEEN,
    CUSTOMER_STATUSES,
    ORGANIZATION,
    OVERDUE,
    STATUS,
    DocumentPagination,
    apply_customer_filters,
)
from payment_module.rest.serializers import ErrorSerializer, RfcDateField
from payment_module.rest.views import AnyAcceptNegotiation, serve_document
from payment_module.services.operator_users import accept_operator_invitation


def _error(description: str, *examples: tuple[str, str, str | None]) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description, examples=[
        OpenApiExample(code, value={"code": code, "message": message, "field": field})
        for code, message, field in examples])


UNAUTHENTICATED = _error("no credentials, or a bad / expired JWT",
                         ("UNAUTHENTICATED", "authentication required", None),
                         ("TOKEN_EXPIRED", "the access token has expired", None))
NOT_FOUND = _error("not one of your invoices (another party's, a draft, a malformed id), or no document in that "
                   "format", ("NOT_FOUND", "invoice 0190… not found", "id"))


class CustomerDocumentSerializer(serializers.Serializer):
    format = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    download_url = serializers.SerializerMethodField(help_text="null until the document is created")

    def get_download_url(self, document) -> str | None:
        if document.status != DocumentStatus.CREATED:
            return None
        path = f"/v2/me/invoices/{document.invoice_id}/download?format={document.format}"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class CustomerInvoiceSerializer(serializers.Serializer):
    """One of your invoices: what was sent to you, never the organisation's internal fields."""

    id = serializers.UUIDField(read_only=True)
    code = serializers.CharField(read_only=True)
    document_type = serializers.CharField(read_only=True)
    status = serializers.SerializerMethodField()
    organization_id = serializers.UUIDField(read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    date_invoice = RfcDateField(read_only=True, allow_null=True)
    date_due = RfcDateField(read_only=True, allow_null=True)
    start_date = RfcDateField(source="date_valid_from", read_only=True, allow_null=True)
    end_date = RfcDateField(source="date_valid_to", read_only=True, allow_null=True)
    currency_code = serializers.CharField(read_only=True)
    amount_net = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)
    amount_tax = serializers.SerializerMethodField()
    amount_total = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)
    amount_payed = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)
    amount_due = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    overdue_since = RfcDateField(read_only=True, allow_null=True)
    payment_reference = serializers.CharField(read_only=True)
    documents = serializers.SerializerMethodField()

    def get_status(self, invoice) -> str:
        return InvoiceStatus(invoice.status).label

    @staticmethod
    def _money(value) -> str:
        return f"{value:.2f}"

    def get_amount_tax(self, invoice) -> str:
        return self._money(invoice.amount_total - invoice.amount_net)

    def get_amount_due(self, invoice) -> str:
        return self._money(amount_due(invoice))

    def get_overdue(self, invoice) -> bool:
        return is_overdue(invoice)

    def get_documents(self, invoice) -> list:
        return CustomerDocumentSerializer(list(invoice.customer_documents), many=True, context=self.context).data


class MyInvoicesView(APIView):
    """GET /v2/me/invoices."""

    permission_classes = (IsCustomer,)
    pagination_class = DocumentPagination

    @extend_schema(
        operation_id="me_invoices_list",
        summary="The invoices billed to you (operator users), at every organisation",
        description="Issued invoices and credit notes billed to the operators whose invitation you accepted, newest "
                    "first, with `totals_due` per currency over every invoice the filters keep. Read-only.",
        parameters=[
            OpenApiParameter(STATUS, str, description=f"among {', '.join(CUSTOMER_STATUSES)} (comma-separated)"),
            OpenApiParameter(ORGANIZATION, OpenApiTypes.UUID, description="the billing organisation's id"),
            OpenApiParameter(BETWEEN, str, description="issue dates dd/mm/YYYY,dd/mm/YYYY (both inclusive)"),
            OpenApiParameter(OVERDUE, bool, description="true: only overdue invoices; false: the others"),
            OpenApiParameter("page", int, description="page number, from 1"),
            OpenApiParameter("page_size", int, description="rows per page, 1..200 (default 50)"),
        ],
        responses={200: CustomerInvoiceSerializer(many=True), 401: UNAUTHENTICATED,
                   400: _error("a bad filter or page", ("INVALID", "filters[status] must be among …", STATUS))},
    )
    def get(self, request):
        principal = customer_for_request(request)
        queryset = apply_customer_filters(customer_invoice_list(principal), request.query_params)
        page_queryset = (queryset.select_related("organization")
                         .prefetch_related(Prefetch("documents", to_attr="customer_documents",
                                                    queryset=InvoiceDocument.objects.filter(customer_documents_q())
                                                    .order_by("-date_created")))
                         .order_by("-date_invoice", "-code", "-id"))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(page_queryset, request, view=self)
        response = paginator.get_paginated_response(
            CustomerInvoiceSerializer(page, many=True, context={"request": request}).data)
        response.data["totals_due"] = [
            {**row, "amount_due": str(row["amount_due"]), "amount_overdue": str(row["amount_overdue"])}
            for row in totals_due(queryset)]
        return response


class MyInvoiceDownloadView(APIView):
    """GET /v2/me/invoices/{id}/download."""

    permission_classes = (IsCustomer,)
    content_negotiation_class = AnyAcceptNegotiation

    @extend_schema(
        operation_id="me_invoices_download", summary="Download the file of one of your invoices",
        description="The created document of that invoice: in `format` when given, else the first of pdf, facturx, "
                    "xml, json. S3 storage: 302 to a short-lived presigned URL; local storage: the file.",
        parameters=[OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="the invoice's id"),
                    OpenApiParameter("format", str, description="pdf, json, xml or facturx")],
        responses={
            **{(200, content_type): OpenApiResponse(OpenApiTypes.BINARY, description="the file (local storage)")
               for content_type in sorted(set(DOCUMENT_CONTENT_TYPES.values()))},
            302: OpenApiResponse(description="redirect to a presigned S3 URL (S3 storage)"),
            401: UNAUTHENTICATED, 404: NOT_FOUND,
            409: _error("the file is not ready yet",
                        ("DOCUMENT_PENDING", "the document is still being generated (status pending)", "status")),
        },
    )
    def get(self, request, id):
        fmt = request.query_params.get("format")
        if fmt is not None:
            fmt = documents.ensure_format(fmt)
        return serve_document(customer_download_document(customer_for_request(request), id, fmt))


class AcceptInvitationSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="the invitation's one-time token (the magic link's secret)")
    password = serializers.CharField(required=False, allow_blank=True,
                                     help_text="the new account's password (ignored for an existing account)")


class AcceptInvitationView(APIView):
    """POST /v2/me/invitations/accept."""

    permission_classes = (IsAnyone,)
    required_permissions: ClassVar[dict] = {}

    @extend_schema(
        operation_id="me_invitations_accept", summary="Accept an operator-user invitation",
        description="A new account sets its password here; an existing account must send its own JWT and no "
                    "password. Then log in with GraphQL `tokenAuth`.",
        request=AcceptInvitationSerializer,
        responses={200: OpenApiResponse({"type": "object", "properties": {"username": {"type": "string"}}}),
                   400: _error("the token is unknown, used or expired, or the password is refused",
                               ("INVITATION_INVALID", "this invitation is unknown or already used", "token"),
                               ("INVITATION_EXPIRED", "this invitation has expired", "token"),
                               ("INVITATION_LOGIN_REQUIRED", "this account already exists: log in as it", "token"))},
    )
    def post(self, request):
        serializer = AcceptInvitationSerializer(data=request.data if isinstance(request.data, dict) else {})
        serializer.is_valid(raise_exception=True)
        django_request = request._request
        user = None if getattr(django_request, "_api_key", None) else request.user
        link = accept_operator_invitation(token=serializer.validated_data["token"],
                                          password=serializer.validated_data.get("password") or None, user=user)
        return Response({"username": link.user.username})
