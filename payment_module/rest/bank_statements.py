"""/v2/bank-statements: upload a bank statement (multipart) and read imported ones. A thin
interface over payment_module.services.bank_statements (the same service as the GraphQL
mutation importBankStatement and `manage.py import_bank_statement`)."""
from __future__ import annotations

import json
from typing import ClassVar

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.error_codes import CoreErrorCode
from core.errors import DomainError
from core.rest.authentication import API_KEY_HEADER
from core.rest.permissions import HasTenantPermissions
from core.tenancy import tenant_for_request
from payment_module.constants import StatementFormat
from payment_module.gql.mutations.import_bank_statement import csv_mapping_of
from payment_module.models import BankStatement, BankStatementLine
from payment_module.rest.filters import DocumentPagination
from payment_module.rest.serializers import ErrorSerializer
from payment_module.services.bank_statements import (
    bank_statement_get,
    bank_statement_import,
    bank_statement_list,
    statement_report,
)

IMPORT = "invoice.add_invoicepayment"
VIEW = "payment_module.view_bankstatement"


class BankStatementLineSerializer(serializers.ModelSerializer):
    matched_invoice = serializers.SerializerMethodField(help_text="number (code) of the invoice the line matched")
    payment_id = serializers.UUIDField(allow_null=True, read_only=True)

    class Meta:
        model = BankStatementLine
        fields = ("id", "position", "entry_reference", "booking_date", "value_date", "amount", "currency_code",
                  "credit_debit", "debtor_name", "debtor_iban", "remittance_info", "creditor_reference",
                  "end_to_end_id", "match_status", "match_rule", "matched_invoice", "payment_id", "reason_code",
                  "reason")

    def get_matched_invoice(self, line) -> str | None:
        return line.matched_invoice.code if line.matched_invoice_id else None


class BankStatementSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankStatement
        fields = ("id", "source_format", "file_name", "sha256", "account_iban", "statement_id", "message_id",
                  "currency_code", "date_created")


class CountsSerializer(serializers.Serializer):
    lines = serializers.IntegerField()
    matched = serializers.IntegerField()
    unmatched = serializers.IntegerField()
    ambiguous = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    ignored = serializers.IntegerField()


class ReportSerializer(serializers.Serializer):
    created = serializers.BooleanField(help_text="false: the file brought nothing new (every line already imported)")
    statement = BankStatementSerializer(allow_null=True)
    counts = CountsSerializer()
    unmatched_lines = BankStatementLineSerializer(many=True, help_text="unmatched and ambiguous lines, with reasons")


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="the statement file (camt.053 XML or CSV)")
    format = serializers.ChoiceField(choices=StatementFormat.values, required=False,
                                     help_text="default: from the file name (.xml, .csv), else the content")
    csv_columns = serializers.CharField(required=False, help_text='JSON object field → header, e.g. {"amount": "Montant"}')
    csv_delimiter = serializers.CharField(required=False, trim_whitespace=False, help_text="default ;")
    csv_decimal_comma = serializers.BooleanField(required=False, allow_null=True, default=None,
                                                 help_text="default true")
    csv_date_format = serializers.CharField(required=False, help_text="default %d/%m/%Y")
    csv_encoding = serializers.CharField(required=False, help_text="default UTF-8 (Windows-1252 when not UTF-8)")
    csv_currency = serializers.CharField(required=False, help_text="default EUR")


def report_body(report) -> dict:
    return ReportSerializer({"created": report.created, "statement": report.statement, "counts": report.counts,
                             "unmatched_lines": report.unmatched_lines}).data


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


class BankStatementsView(APIView):
    """POST /v2/bank-statements (multipart upload) and GET /v2/bank-statements (list)."""

    permission_classes = (HasTenantPermissions,)
    required_permissions: ClassVar[dict[str, tuple[str, ...]]] = {"GET": (VIEW,), "POST": (IMPORT,)}
    parser_classes = (MultiPartParser,)
    pagination_class = DocumentPagination

    @extend_schema(operation_id="bank_statements_list", summary="Your organisation's imported bank statements",
                   parameters=[OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
                   responses={200: BankStatementSerializer(many=True), 401: _error("not authenticated")})
    def get(self, request):
        tenant = tenant_for_request(request)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(bank_statement_list(tenant.organization).order_by("-date_created", "-id"),
                                           request, view=self)
        return paginator.get_paginated_response(BankStatementSerializer(page, many=True).data)

    @extend_schema(
        operation_id="bank_statements_import", summary="Import a bank statement (camt.053 or CSV)",
        description="Every credit line is matched to an invoice (payment reference, then invoice number, then "
                    "amount due by the debtor) and paid by a reconciled payment; unmatched, ambiguous and debit "
                    "lines are kept and reported. 201 with the report; **200** with `created: false` when every "
                    "line was already imported (nothing is written). Authenticate with `Authorization: Bearer` "
                    "or `X-Api-Key` (not the JWT cookie: a form upload could be forged by another site).",
        request={"multipart/form-data": UploadSerializer},
        responses={201: ReportSerializer, 200: ReportSerializer,
                   400: _error("a bad file (MALFORMED_XML, SCHEMA_INVALID, UNSUPPORTED_MESSAGE, CSV_COLUMN_MISSING, "
                               "CSV_INVALID_VALUE, NO_LINES…) or option"),
                   401: _error("not authenticated"), 403: _error("missing permission"),
                   415: _error("not multipart/form-data")},
    )
    def post(self, request):
        # A multipart body is what a page of another site can POST with the browser's cookies:
        # the upload takes explicit credentials only (header JWT or API key).
        if not request._request.META.get("HTTP_AUTHORIZATION") and not request._request.META.get(API_KEY_HEADER):
            raise NotAuthenticated("send Authorization: Bearer <token> or X-Api-Key: <key> to upload a statement")
        tenant = tenant_for_request(request)
        serializer = UploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        mapping = {name[4:]: value for name, value in data.items() if name.startswith("csv_") and value is not None}
        if "columns" in mapping:
            try:
                mapping["columns"] = json.loads(mapping["columns"])
            except ValueError:
                raise DomainError(CoreErrorCode.INVALID, "csv_columns must be a JSON object", "csv_columns") from None
        upload = data["file"]
        report = bank_statement_import(actor=tenant.user, organization=tenant.organization, content=upload.read(),
                                       fmt=data.get("format"), file_name=upload.name or "",
                                       csv_mapping=csv_mapping_of(mapping))
        return Response(report_body(report), status=status.HTTP_201_CREATED if report.created else status.HTTP_200_OK)


class BankStatementView(APIView):
    """GET /v2/bank-statements/{id}: the statement, its counts and its unmatched lines."""

    permission_classes = (HasTenantPermissions,)
    required_permissions: ClassVar[dict[str, tuple[str, ...]]] = {"GET": (VIEW,)}

    @extend_schema(operation_id="bank_statements_retrieve", summary="One imported bank statement and its report",
                   parameters=[OpenApiParameter("id", str, OpenApiParameter.PATH, description="the statement's id")],
                   responses={200: ReportSerializer, 401: _error("not authenticated"), 404: _error("not found")})
    def get(self, request, id):
        tenant = tenant_for_request(request)
        return Response(report_body(statement_report(bank_statement_get(tenant.organization, id))))
