"""/v2 routes of delivery (thin: one service each, invoice.delivery.services):

    POST  /v2/invoices/{id}/send            send a created document (e-mail, SFTP) — 202
    GET   /v2/deliveries/{id}               one delivery and its tries
    POST  /v2/deliveries/{id}/replay        send it again — 202
    GET   /v2/webhooks                      the organisation's endpoints
    POST  /v2/webhooks                      register one — 201, with its secret (shown once)
    GET   /v2/webhooks/{id}                 one endpoint
    PATCH /v2/webhooks/{id}                 change url, events, description, is_active
    GET   /v2/webhooks/{id}/deliveries      its delivery log, newest first
"""
from __future__ import annotations

from typing import ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.error_codes import CoreErrorCode
from core.errors import DomainError
from core.rest.permissions import HasTenantPermissions
from core.tenancy import get_scoped, tenant_for_request
from invoice.delivery import services
from invoice.delivery.models import Delivery, DeliveryAttempt, WebhookEndpoint
from invoice.selectors import document_get
from payment_module.rest.views import FORBIDDEN, NOT_FOUND, UNAUTHENTICATED, _error

VIEW = "invoice.view_delivery"
SEND = "invoice.add_delivery"
ROW_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)
BAD_INPUT = _error("bad input", ("INVALID", "recipients.0: enter a valid e-mail address", "recipients.0"))


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = ("number", "outcome", "error_code", "error_message", "response_status", "started_at", "finished_at")


class DeliverySerializer(serializers.ModelSerializer):
    attempt_log = DeliveryAttemptSerializer(many=True, read_only=True)
    invoice_id = serializers.UUIDField(read_only=True)
    document_id = serializers.UUIDField(read_only=True, allow_null=True)
    webhook_endpoint_id = serializers.UUIDField(read_only=True, allow_null=True)
    replay_of_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = Delivery
        fields = ("id", "invoice_id", "document_id", "channel", "event", "recipient", "webhook_endpoint_id", "status",
                  "attempts", "next_attempt_at", "provider_message_id", "error_code", "error_message", "replay_of_id",
                  "date_created", "date_sent", "attempt_log")


class SendRequestSerializer(serializers.Serializer):
    channels = serializers.ListField(child=serializers.CharField(), required=False,
                                     help_text="email (default), sftp")
    recipients = serializers.ListField(child=serializers.CharField(), required=False,
                                       help_text="e-mail addresses (default: the buyer's)")


class WebhookEndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = ("id", "url", "description", "events", "is_active", "disabled_reason", "date_disabled",
                  "date_created", "date_updated")


class WebhookCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="whsec_…: shown once, store it now")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = (*WebhookEndpointSerializer.Meta.fields, "secret")


class WebhookRequestSerializer(serializers.Serializer):
    url = serializers.CharField(required=False)
    events = serializers.ListField(child=serializers.CharField(), required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


def _body(request, serializer_class) -> dict:
    if not isinstance(request.data, dict):
        raise DomainError(CoreErrorCode.INVALID, "the body must be a JSON object")
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _deliveries(request, rows, code=status.HTTP_202_ACCEPTED) -> Response:
    return Response(DeliverySerializer(rows, many=True, context={"request": request}).data, status=code)


class SendDocumentView(APIView):
    permission_classes = (HasTenantPermissions,)
    required_permissions: ClassVar[dict[str, tuple[str, ...]]] = {"POST": (SEND,)}

    @extend_schema(operation_id="invoices_send", summary="Send a created document by e-mail and/or SFTP",
                   parameters=[ROW_ID], request=SendRequestSerializer,
                   responses={202: DeliverySerializer(many=True), 400: BAD_INPUT, 401: UNAUTHENTICATED,
                              403: FORBIDDEN, 404: NOT_FOUND})
    def post(self, request, id):
        tenant = tenant_for_request(request)
        data = _body(request, SendRequestSerializer)
        document = document_get(tenant.organization, id)
        rows = services.send_document(actor=tenant.user, organization=tenant.organization, document=document,
                                      channels=data.get("channels"), recipients=data.get("recipients"))
        return _deliveries(request, rows)


def _delivery(tenant, id) -> Delivery:
    return get_scoped(Delivery.objects.select_related("webhook_endpoint", "sftp_destination")
                      .prefetch_related("attempt_log"), tenant.organization, id, what="delivery")


class DeliveryView(APIView):
    permission_classes = (HasTenantPermissions,)
    required_permissions: ClassVar[dict[str, tuple[str, ...]]] = {"GET": (VIEW,)}

    @extend_schema(operation_id="deliveries_retrieve", summary="One delivery and its tries", parameters=[ROW_ID],
                   responses={200: DeliverySerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND})
    def get(self, request, id):
        return Response(DeliverySerializer(_delivery(tenant_for_request(request), id)).data)


class DeliveryReplayView(APIView):
    permission_classes = (HasTenantPermissions,)
    required_permissions: ClassVar[dict[str, tuple[str, ...]]] = {"POST": (SEND,)}

    @extend_schema(operation_id="deliveries_replay", summary="Send a finished delivery again", parameters=[ROW_ID],
                   request=None, responses={202: DeliverySerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED,
                                            403: FORBIDDEN, 404: NOT_FOUND})
    def post(self, request, id):
        tenant = tenant_for_request(request)
        replay = services.delivery_replay(actor=tenant.user, delivery=_delivery(tenant, id))
        return Response(DeliverySerializer(replay).data, status=status.HTTP_202_ACCEPTED)


class WebhooksView(APIView):
    permission_classes = (HasTenantPermissions,)
    required_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "GET": ("invoice.view_webhookendpoint",), "POST": ("invoice.add_webhookendpoint",)}

    @extend_schema(operation_id="webhooks_list", summary="Your organisation's webhook endpoints",
                   responses={200: WebhookEndpointSerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN})
    def get(self, request):
        tenant = tenant_for_request(request)
        rows = WebhookEndpoint.objects.filter(organization=tenant.organization).order_by("date_created")
        return Response(WebhookEndpointSerializer(rows, many=True).data)

    @extend_schema(operation_id="webhooks_create", summary="Register a webhook endpoint (its secret is shown once)",
                   request=WebhookRequestSerializer,
                   responses={201: WebhookCreatedSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED, 403: FORBIDDEN})
    def post(self, request):
        tenant = tenant_for_request(request)
        data = _body(request, WebhookRequestSerializer)
        endpoint, secret = services.webhook_endpoint_create(
            actor=tenant.user, organization=tenant.organization, url=data.get("url"), events=data.get("events"),
            description=data.get("description") or "")
        endpoint.secret = secret
        return Response(WebhookCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)


def _endpoint(tenant, id) -> WebhookEndpoint:
    return get_scoped(WebhookEndpoint.objects.all(), tenant.organization, id, what="webhook endpoint")


class WebhookView(APIView):
    permission_classes = (HasTenantPermissions,)
    required_permissions: ClassVar[dict[str, tuple[str, ...]]] = {
        "GET": ("invoice.view_webhookendpoint",), "PATCH": ("invoice.change_webhookendpoint",)}

    @extend_schema(operation_id="webhooks_retrieve", summary="One webhook endpoint", parameters=[ROW_ID],
                   responses={200: WebhookEndpointSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND})
    def get(self, request, id):
        return Response(WebhookEndpointSerializer(_endpoint(tenant_for_request(request), id)).data)

    @extend_schema(operation_id="webhooks_update", summary="Change an endpoint (is_active: true enables it again)",
                   parameters=[ROW_ID], request=WebhookRequestSerializer,
                   responses={200: WebhookEndpointSerializer, 400: BAD_INPUT, 401: UNAUTHENTICATED,
                              403: FORBIDDEN, 404: NOT_FOUND})
    def patch(self, request, id):
        tenant = tenant_for_request(request)
        data = _body(request, WebhookRequestSerializer)
        endpoint = services.webhook_endpoint_update(actor=tenant.user, endpoint=_endpoint(tenant, id), changes=data)
        return Response(WebhookEndpointSerializer(endpoint).data)


class WebhookDeliveriesView(APIView):
    permission_classes = (HasTenantPermissions,)
    required_permissions: ClassVar[dict[str, tuple[str, ...]]] = {"GET": (VIEW,)}

    @extend_schema(operation_id="webhooks_deliveries", summary="An endpoint's delivery log, newest first (200 rows)",
                   parameters=[ROW_ID],
                   responses={200: DeliverySerializer(many=True), 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND})
    def get(self, request, id):
        endpoint = _endpoint(tenant_for_request(request), id)
        rows = endpoint.deliveries.prefetch_related("attempt_log").order_by("-date_created")[:200]
        return _deliveries(request, rows, status.HTTP_200_OK)
