"""REST shapes of the RFC's `invoices` rows (InvoiceDocument) and of a generation request.

Dates travel as dd/mm/YYYY (the RFC); timestamps as ISO 8601. Errors are DRF ValidationErrors
whose codes are the API's codes (REQUIRED, INVALID_DATE, INVALID_FORMAT…): core.rest.exceptions
turns them into {"code", "message", "field"}."""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import ClassVar

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.error_codes import CoreErrorCode
from core.errors import DomainError
from invoice.constants import DocumentFormat, DocumentStatus
from invoice.error_codes import InvoiceErrorCode
from invoice.models import InvoiceDocument
from invoice.services import documents

DATE_FORMAT = "%d/%m/%Y"
_DATE_SHAPE = re.compile(r"\d{2}/\d{2}/\d{4}")
DATE_SCHEMA = {"type": "string", "pattern": r"^\d{2}/\d{2}/\d{4}$", "example": "31/01/2026",
               "description": "a date as dd/mm/YYYY"}


def parse_date(value) -> date:
    """dd/mm/YYYY → date; raises ValueError naming the problem."""
    if not isinstance(value, str) or not _DATE_SHAPE.fullmatch(value.strip()):
        raise ValueError(f"expected a date as dd/mm/YYYY, got {value!r}")
    try:
        return datetime.strptime(value.strip(), DATE_FORMAT).date()
    except ValueError:
        raise ValueError(f"{value!r} is not a calendar date (dd/mm/YYYY)") from None


def format_date(value: date | None) -> str | None:
    return value.strftime(DATE_FORMAT) if value is not None else None


class CodedErrorsMixin:
    """DRF's own failures (`required`, `blank`, `null`, `invalid`…) with the API's codes."""

    codes: ClassVar[dict[str, str]] = {"required": CoreErrorCode.REQUIRED.name, "blank": CoreErrorCode.REQUIRED.name,
             "null": CoreErrorCode.REQUIRED.name}

    def fail(self, key, **kwargs):
        try:
            super().fail(key, **kwargs)
        except serializers.ValidationError as exc:
            message = str(exc.detail[0] if isinstance(exc.detail, list) else exc.detail)
            raise serializers.ValidationError(message, code=self.codes.get(key, key.upper())) from None


class RequiredText(CodedErrorsMixin, serializers.CharField):
    pass


@extend_schema_field(DATE_SCHEMA)
class RfcDateField(CodedErrorsMixin, serializers.Field):
    def to_internal_value(self, data):
        try:
            return parse_date(data)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc), code=CoreErrorCode.INVALID_DATE.name) from None

    def to_representation(self, value):
        return format_date(value)


class DocumentRequestSerializer(serializers.Serializer):
    """Body of POST /v2/invoices."""

    operator_id = RequiredText(max_length=100, help_text="UUID of one of your operators (déclarants)")
    start_date = RfcDateField(help_text="first day of the period, dd/mm/YYYY")
    end_date = RfcDateField(help_text="last day of the period (inclusive), dd/mm/YYYY")
    format = RequiredText(max_length=20, help_text=f"one of {', '.join(DocumentFormat.values)}")
    allow_open_period = serializers.BooleanField(
        required=False, default=False,
        help_text="bill a period that has not ended yet (end_date today or later); refused otherwise "
                  "(PERIOD_NOT_ENDED)")

    def validate_format(self, value: str) -> str:
        try:
            return documents.ensure_format(value)
        except DomainError as exc:
            raise serializers.ValidationError(exc.message, code=InvoiceErrorCode.INVALID_FORMAT.name) from None


class InvoiceDocumentSerializer(serializers.Serializer):
    """The RFC's `invoices` row, plus what a client needs to follow and check it."""

    id = serializers.UUIDField(read_only=True)
    organization__id = serializers.UUIDField(source="organization_id", read_only=True)
    operator__id = serializers.UUIDField(source="operator_id", read_only=True, allow_null=True)
    start_date = RfcDateField(read_only=True, allow_null=True)
    end_date = RfcDateField(read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=DocumentStatus.choices, read_only=True)
    format = serializers.ChoiceField(choices=DocumentFormat.choices, read_only=True)
    url = serializers.SerializerMethodField(
        help_text="the download route of this document (GET it: the file, or a redirect to a short-lived S3 URL); "
                  "null until the document is created")
    invoice_id = serializers.UUIDField(read_only=True)
    invoice_code = serializers.CharField(source="invoice.code", read_only=True, allow_null=True)
    checksum = serializers.SerializerMethodField(help_text="SHA-256 (hex) of the file; null until created")
    size = serializers.IntegerField(read_only=True, allow_null=True, help_text="bytes; null until created")
    attempts = serializers.IntegerField(read_only=True)
    error_code = serializers.SerializerMethodField()
    error_message = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(source="date_created", read_only=True)
    updated_at = serializers.DateTimeField(source="date_updated", read_only=True)

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_url(self, document: InvoiceDocument) -> str | None:
        if document.status != DocumentStatus.CREATED:
            return None
        path = f"/v2/invoices/{document.pk}/download"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field({"type": "string", "nullable": True})
    def get_checksum(self, document: InvoiceDocument) -> str | None:
        return document.checksum or None

    @extend_schema_field({"type": "string", "nullable": True})
    def get_error_code(self, document: InvoiceDocument) -> str | None:
        return document.error_code or None

    @extend_schema_field({"type": "string", "nullable": True})
    def get_error_message(self, document: InvoiceDocument) -> str | None:
        return document.error_message or None


class ErrorSerializer(serializers.Serializer):
    """Every 4xx answer."""

    code = serializers.CharField(help_text="stable error code, e.g. NOT_FOUND, INVALID_DATE")
    message = serializers.CharField(help_text="what went wrong, naming the value")
    field = serializers.CharField(allow_null=True, help_text="the input it concerns (body field, query parameter "
                                                            "such as filters[status], or header), or null")
