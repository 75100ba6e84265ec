"""The RFC's public REST API, /v2/invoices (DRF). It bills operators (payment_module.services
.billing) and serves the invoices' documents, so it lives here: `invoice` never imports
payment_module. Authentication: JWT (`Authorization: Bearer`) or an organisation's API key
(`X-Api-Key`); permissions: core.rest.permissions (one way); errors: core.rest.exceptions (4xx
{"code", "message", "field"})."""
from __future__ import annotations

import logging
from typing import ClassVar

from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import status
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from core.error_codes import CoreErrorCode
from core.errors import DomainError, NotFound
from core.rest.permissions import HasTenantPermissions
from core.tenancy import get_scoped, tenant_for_request
from invoice import storage
from invoice.constants import DOCUMENT_CONTENT_TYPES
from invoice.error_codes import InvoiceErrorCode
from invoice.selectors import document_get, document_list
from invoice.services import downloads
from payment_module.models import Operator
from payment_module.rest.filters import (
    BETWEEN,
    OPERATOR,
    STATUS,
    DocumentPagination,
    apply_filters,
)
from payment_module.rest.serializers import (
    DocumentRequestSerializer,
    ErrorSerializer,
    InvoiceDocumentSerializer,
)
from payment_module.services.billing import ensure_period, request_operator_invoice

logger = logging.getLogger("molink.rest")

VIEW = "invoice.view_invoicedocument"
GENERATE = "payment_module.generate_invoice"
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_MAX = 255

def _error(description: str, *examples: tuple[str, str, str | None]) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description, examples=[
        OpenApiExample(code, value={"code": code, "message": message, "field": field})
        for code, message, field in examples
    ])


UNAUTHENTICATED = _error("no credentials, or a bad / expired JWT, or an unknown / revoked API key",
                         ("UNAUTHENTICATED", "authentication required", None),
                         ("API_KEY_INVALID", "the API key is unknown or revoked", None),
                         ("TOKEN_EXPIRED", "the access token has expired", None))
FORBIDDEN = _error("the caller's role lacks the permission",
                   ("PERMISSION_DENIED", f"missing permission {VIEW}", None))
NOT_FOUND = _error("no such document in your organisation (another organisation's id, or a malformed id)",
                   ("NOT_FOUND", "invoice document 0190… not found", "id"))
ROW_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="the document's id")


class InvoiceDocumentsView(APIView):
    """GET /v2/invoices (list) and POST /v2/invoices (generate)."""

    permission_classes = (HasTenantPermissions,)
    required_permissions: ClassVar[dict[str, tuple[str, ...]]] = {"GET": (VIEW,), "POST": (GENERATE,)}
    pagination_class = DocumentPagination

    @extend_schema(
        operation_id="invoices_list",
        summary="List your organisation's invoice documents",
        description="Newest first. `filters[between_date]` keeps the documents whose period overlaps the "
                    "given dates (both inclusive). Repeated or comma-separated values of `filters[status]` "
                    "and `filters[operator_id]` are OR-ed. Unknown `filters[...]` names are refused.",
        parameters=[
            OpenApiParameter(STATUS, str, description="pending, created or failed (comma-separated for several)"),
            OpenApiParameter(OPERATOR, OpenApiTypes.UUID, description="an operator's id"),
            OpenApiParameter(BETWEEN, str, description="dd/mm/YYYY,dd/mm/YYYY", examples=[
                OpenApiExample("January 2026", value="01/01/2026,31/01/2026")]),
            OpenApiParameter("page", int, description="page number, from 1"),
            OpenApiParameter("page_size", int, description="rows per page, 1..200 (default 50)"),
        ],
        responses={
            200: InvoiceDocumentSerializer(many=True),
            400: _error("a bad filter or page", ("INVALID", "filters[status] must be among pending, created, failed",
                                                 "filters[status]"),
                        ("INVALID_DATE", "filters[between_date] must be two dates dd/mm/YYYY,dd/mm/YYYY",
                         "filters[between_date]")),
            401: UNAUTHENTICATED, 403: FORBIDDEN,
        },
    )
    def get(self, request):
        tenant = tenant_for_request(request)
        queryset = apply_filters(document_list(tenant.organization), request.query_params).order_by("-date_created", "-id")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        data = InvoiceDocumentSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        operation_id="invoices_create",
        summary="Generate the invoice of an operator's period and request its file",
        description="Bills the operator's unbilled orders of the period (each order once) into a validated "
                    "invoice and requests its document: 202 with the new row (`status: pending`, `url: null`); "
                    "the file is generated asynchronously — poll GET /v2/invoices/{id}. "
                    "The same request again — same `Idempotency-Key` header, or the same operator, period and "
                    "format while its document is pending or created — answers **200** with the existing row "
                    "and bills nothing. The same period in another format gives a new document of the same invoice. "
                    "The period must be over (end_date before today) unless `allow_open_period` is true, and "
                    "shorter than BILLING_MAX_PERIOD_MONTHS (default 12) months; both are checked before any "
                    "number is used.",
        parameters=[OpenApiParameter(IDEMPOTENCY_HEADER, str, OpenApiParameter.HEADER,
                                     description="optional, up to 255 characters: a retry with the same key returns "
                                                 "the same row")],
        request=DocumentRequestSerializer,
        examples=[OpenApiExample("January 2026 as JSON", request_only=True, value={
            "operator_id": "0190c3a2-7b1e-7c2d-9a4f-2b7e3c1d5f60", "start_date": "01/01/2026",
            "end_date": "31/01/2026", "format": "json"})],
        responses={
            202: OpenApiResponse(InvoiceDocumentSerializer, description="requested: a new pending row"),
            200: OpenApiResponse(InvoiceDocumentSerializer, description="replay: the existing row"),
            400: _error("bad input",
                        ("REQUIRED", "This field is required.", "operator_id"),
                        ("INVALID_DATE", "'31/02/2026' is not a calendar date (dd/mm/YYYY)", "start_date"),
                        ("INVALID_PERIOD", "end date 01/01/2026 is before start date 31/01/2026", "end_date"),
                        ("PERIOD_NOT_ENDED", ("the period ends on 31/12/2026, which is not over (today is "
                                              "03/12/2026): … send allow_open_period: true to bill it now"),
                         "end_date"),
                        ("PERIOD_TOO_LONG", ("the period 01/01/2025–31/01/2026 is longer than 12 months: it must "
                                             "end before 01/01/2026"), "end_date"),
                        ("INVALID_FORMAT", "format must be one of pdf, json, xml, facturx, got 'doc'", "format"),
                        ("NOT_FOUND", "operator 0190… not found", "operator_id"),
                        ("NO_ORDERS", "no unbilled orders for operator pf-x between …", "start_date"),
                        ("NO_TARIFF", "no tariff for Avis de décès valid on 02/01/2026", "operator_id"),
                        ("OPERATOR_INACTIVE", "operator pf-x is inactive", "operator_id"),
                        ("IDEMPOTENCY_CONFLICT", "this Idempotency-Key was used for another request",
                         "Idempotency-Key"),
                        ("INVALID", "Idempotency-Key is longer than 255 characters", "Idempotency-Key"),
                        ("PARSE_ERROR", "JSON parse error", None)),
            401: UNAUTHENTICATED,
            403: _error("the caller's role lacks the permission",
                        ("PERMISSION_DENIED", f"missing permission {GENERATE}", None)),
            415: _error("the body is not JSON", ("UNSUPPORTED_MEDIA_TYPE", "unsupported media type text/plain", None)),
        },
    )
    def post(self, request):
        tenant = tenant_for_request(request)
        if not isinstance(request.data, dict):
            raise DomainError(CoreErrorCode.INVALID, "the body must be a JSON object with operator_id, start_date, "
                                                     "end_date and format")
        serializer = DocumentRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ensure_period(data["start_date"], data["end_date"], allow_open_period=data["allow_open_period"])
        idempotency_key = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip() or None
        if idempotency_key is not None and len(idempotency_key) > IDEMPOTENCY_MAX:
            raise DomainError(CoreErrorCode.INVALID, f"{IDEMPOTENCY_HEADER} is longer than {IDEMPOTENCY_MAX} characters",
                              IDEMPOTENCY_HEADER)
        try:
            operator = get_scoped(Operator.objects.filter(is_deleted=False), tenant.organization, data["operator_id"],
                                  what="operator", field="operator_id")
            document, created = request_operator_invoice(
                actor=tenant.user, organization=tenant.organization, operator=operator,
                start_date=data["start_date"], end_date=data["end_date"], fmt=data["format"],
                idempotency_key=idempotency_key, allow_open_period=data["allow_open_period"],
            )
        except NotFound as exc:
            if exc.field != "operator_id":
                raise
            # A body field that names nothing is bad input (400), not a missing resource.
            raise DomainError(CoreErrorCode.NOT_FOUND, exc.message, "operator_id") from None
        body = InvoiceDocumentSerializer(document, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)


class InvoiceDocumentView(APIView):
    """GET /v2/invoices/{id}."""

    permission_classes = (HasTenantPermissions,)
    required_permissions: ClassVar[dict[str, tuple[str, ...]]] = {"GET": (VIEW,)}

    @extend_schema(
        operation_id="invoices_retrieve", summary="One invoice document (poll it until created or failed)",
        parameters=[ROW_ID],
        responses={200: InvoiceDocumentSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def get(self, request, id):
        tenant = tenant_for_request(request)
        document = document_get(tenant.organization, id)
        return Response(InvoiceDocumentSerializer(document, context={"request": request}).data)


class AnyAcceptNegotiation(DefaultContentNegotiation):
    """A download is asked for with any Accept (application/pdf…): never 406; errors go out as JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except (NotAcceptable, Http404):
            return renderers[0], renderers[0].media_type


class InvoiceDocumentDownloadView(APIView):
    """GET /v2/invoices/{id}/download."""

    permission_classes = (HasTenantPermissions,)
    required_permissions: ClassVar[dict[str, tuple[str, ...]]] = {"GET": (VIEW,)}
    content_negotiation_class = AnyAcceptNegotiation

    @extend_schema(
        operation_id="invoices_download", summary="Download the generated file",
        description="On S3 storage: 302 to a short-lived presigned URL. On local storage: the file itself, "
                    "with its content type, `Content-Disposition: attachment` and `X-Checksum-SHA256` "
                    "(equal to the row's `checksum`).",
        parameters=[ROW_ID, OpenApiParameter(
            "X-Checksum-SHA256", str, OpenApiParameter.HEADER, response=[200],
            description="SHA-256 (hex) of the file, equal to the row's `checksum` (local storage)")],
        responses={
            **{(200, content_type): OpenApiResponse(
                {"type": "object", "description": "the invoice document as JSON (format json)"}
                if content_type == "application/json" else OpenApiTypes.BINARY,
                description="the file (local storage), in its format's content type")
               for content_type in sorted(set(DOCUMENT_CONTENT_TYPES.values()))},
            302: OpenApiResponse(description="redirect to a presigned S3 URL (S3 storage)"),
            401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND,
            409: _error("the file is not available",
                        ("DOCUMENT_PENDING", "the document is still being generated (status pending)", "status"),
                        ("DOCUMENT_FAILED", "the document could not be generated: RENDER_ERROR …", "status")),
        },
    )
    def get(self, request, id):
        tenant = tenant_for_request(request)
        return serve_document(document_get(tenant.organization, id))


def serve_document(document):
    """The answer of a download: 409 unless created; a redirect to a presigned URL (S3) or the file."""
    downloads.ensure_downloadable(document)
    name = downloads.filename(document)
    url = storage.presigned_url(document.storage_key, name)
    if url is not None:
        return HttpResponseRedirect(url)
    try:
        handle = storage.open_document(document.storage_key)
    except (FileNotFoundError, OSError):
        logger.error("file of created document %s is missing at %s", document.pk, document.storage_key)
        raise downloads.DocumentNotReady(InvoiceErrorCode.DOCUMENT_FAILED,
                                         "the document's file is missing from storage", "status") from None
    response = FileResponse(handle, as_attachment=True, filename=name,
                            content_type=document.content_type or "application/octet-stream")
    if document.checksum:
        response["X-Checksum-SHA256"] = document.checksum
    return response


def route_not_found(request, *args, **kwargs):
    """Any other path under /v2/ (e.g. a trailing slash): a JSON 404, like every /v2 error."""
    return JsonResponse({"code": CoreErrorCode.NOT_FOUND.name, "field": None,
                         "message": f"no route {request.path}: see /v2/schema"}, status=404)
