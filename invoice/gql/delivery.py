"""GraphQL of delivery: deliveries and their tries, the organisation's delivery settings, webhook
endpoints and SFTP destination, and the mutations that change them (thin: one service each).
Secrets are never readable: a webhook secret is in createWebhookEndpoint's payload only, SFTP
credentials are write-only."""
from __future__ import annotations

import django_filters
import graphene

from core.gql.auth import requires
from core.gql.fields import TenantConnectionField, UUIDOrGlobalIDFilter
from core.gql.mutations import BaseMutation
from core.gql.types import TenantObjectType
from core.tenancy import get_scoped
from invoice.delivery import services
from invoice.delivery.models import (
    Delivery,
    SftpDestination,
    WebhookEndpoint,
)
from invoice.gql.documents import InvoiceDocumentGQLType
from invoice.gql.mutations import decode_id
from invoice.selectors import document_get


class DeliveryAttemptGQLType(graphene.ObjectType):
    number = graphene.Int(required=True)
    outcome = graphene.String(required=True, description="running, sent, retry or failed")
    error_code = graphene.String()
    error_message = graphene.String()
    response_status = graphene.Int(description="HTTP status of a webhook, SMTP reply code")
    started_at = graphene.DateTime(required=True)
    finished_at = graphene.DateTime()


class DeliveryFilter(django_filters.FilterSet):
    id = UUIDOrGlobalIDFilter(field_name="id")
    invoice__id = UUIDOrGlobalIDFilter(field_name="invoice_id")
    document__id = UUIDOrGlobalIDFilter(field_name="document_id")
    webhook_endpoint__id = UUIDOrGlobalIDFilter(field_name="webhook_endpoint_id")
    channel = django_filters.CharFilter(field_name="channel")
    status = django_filters.CharFilter(field_name="status")
    event = django_filters.CharFilter(field_name="event")

    class Meta:
        model = Delivery
        fields = {"date_created": ["gte", "lte"]}


class DeliveryGQLType(TenantObjectType):
    """One thing sent through one channel: a document e-mailed or uploaded, an event posted."""

    attempt_log = graphene.List(graphene.NonNull(DeliveryAttemptGQLType), required=True,
                                description="every try, first first")

    orderable_fields = ("date_created", "status", "channel", "date_sent")

    class Meta:
        model = Delivery
        permissions = ("invoice.view_delivery",)
        interfaces = (graphene.relay.Node,)
        filterset_class = DeliveryFilter
        convert_choices_to_enum = False
        fields = ("id", "invoice", "document", "channel", "event", "recipient", "webhook_endpoint", "status",
                  "attempts", "next_attempt_at", "provider_message_id", "error_code", "error_message", "replay_of",
                  "date_created", "date_updated", "date_sent")

    def resolve_attempt_log(self, info):
        return list(self.attempt_log.all())

    @classmethod
    def optimize_queryset(cls, qs, info):
        return qs.select_related("invoice", "document", "webhook_endpoint").prefetch_related("attempt_log")


class WebhookEndpointGQLType(TenantObjectType):
    events = graphene.List(graphene.NonNull(graphene.String), required=True)

    class Meta:
        model = WebhookEndpoint
        permissions = ("invoice.view_webhookendpoint",)
        interfaces = (graphene.relay.Node,)
        filter_fields = {"is_active": ["exact"]}
        fields = ("id", "url", "description", "events", "is_active", "disabled_reason", "date_disabled",
                  "date_created", "date_updated")


class SftpDestinationGQLType(TenantObjectType):
    has_password = graphene.Boolean(required=True)
    has_private_key = graphene.Boolean(required=True)

    class Meta:
        model = SftpDestination
        permissions = ("invoice.view_sftpdestination",)
        convert_choices_to_enum = False
        fields = ("id", "host", "port", "username", "host_key", "remote_folder", "mode", "is_active", "date_created",
                  "date_updated")

    def resolve_has_password(self, info):
        return bool(self.password_encrypted)

    def resolve_has_private_key(self, info):
        return bool(self.private_key_encrypted)


class DeliverySettingsGQLType(graphene.ObjectType):
    email_mode = graphene.String(required=True, description="automatic or on_request")
    email_language = graphene.String(required=True, description="fr or en")
    email_subject = graphene.String(required=True, description="blank: the language's default")
    email_body = graphene.String(required=True, description="blank: the language's default")
    email_reply_to = graphene.String(required=True, description="blank: the organisation's e-mail")
    email_bcc = graphene.String(required=True)
    email_reminders = graphene.Boolean(required=True, description="e-mail a reminder when an invoice becomes overdue")
    placeholders = graphene.List(graphene.NonNull(graphene.String), required=True,
                                 description="what a template may name, in braces")

    def resolve_placeholders(self, info):
        return list(services.templates.PLACEHOLDERS)


class DeliveryQuery(graphene.ObjectType):
    delivery = TenantConnectionField(DeliveryGQLType)
    webhook_endpoint = TenantConnectionField(WebhookEndpointGQLType)
    sftp_destination = graphene.Field(SftpDestinationGQLType, description="the organisation's SFTP destination")
    delivery_settings = graphene.Field(graphene.NonNull(DeliverySettingsGQLType))

    @requires("invoice.view_sftpdestination")
    def resolve_sftp_destination(root, info, tenant):
        return SftpDestination.objects.filter(organization=tenant.organization).first()

    @requires("invoice.view_deliverysettings")
    def resolve_delivery_settings(root, info, tenant):
        return services.delivery_settings(tenant.organization)


# --- mutations ----------------------------------------------------------------------------------

class SendInvoiceDocumentMutation(BaseMutation):
    """Send a created document now: by e-mail (to `recipients`, else the buyer's address) and/or
    to the organisation's SFTP destination. The deliveries are queued; follow them in `delivery`."""

    deliveries = graphene.List(graphene.NonNull(DeliveryGQLType))
    invoice_document = graphene.Field(InvoiceDocumentGQLType)

    class Input:
        document_id = graphene.String(required=True)
        channels = graphene.List(graphene.NonNull(graphene.String), description="email (default), sftp")
        recipients = graphene.List(graphene.NonNull(graphene.String), description="e-mail addresses")

    class Meta:
        permissions = ("invoice.add_delivery",)

    @classmethod
    def perform(cls, *, tenant, data):
        document = document_get(tenant.organization, decode_id(data["document_id"], "documentId"), field="documentId")
        deliveries = services.send_document(actor=tenant.user, organization=tenant.organization, document=document,
                                            channels=data.get("channels"), recipients=data.get("recipients"))
        return {"deliveries": deliveries, "invoice_document": document, "internal_id": deliveries[0].id}


class ReplayDeliveryMutation(BaseMutation):
    """Send a sent or failed delivery again (a webhook keeps its webhook-id)."""

    delivery = graphene.Field(DeliveryGQLType)

    class Input:
        id = graphene.String(required=True)

    class Meta:
        permissions = ("invoice.add_delivery",)

    @classmethod
    def perform(cls, *, tenant, data):
        delivery = get_scoped(Delivery.objects.select_related("webhook_endpoint", "sftp_destination"),
                              tenant.organization, decode_id(data["id"], "id"), what="delivery")
        replay = services.delivery_replay(actor=tenant.user, delivery=delivery)
        return {"delivery": replay, "internal_id": replay.id}


class UpdateDeliverySettingsMutation(BaseMutation):
    delivery_settings = graphene.Field(DeliverySettingsGQLType)

    class Input:
        email_mode = graphene.String()
        email_language = graphene.String()
        email_subject = graphene.String()
        email_body = graphene.String()
        email_reply_to = graphene.String()
        email_bcc = graphene.String()
        email_reminders = graphene.Boolean()

    class Meta:
        permissions = ("invoice.change_deliverysettings",)

    @classmethod
    def perform(cls, *, tenant, data):
        row = services.delivery_settings_update(actor=tenant.user, organization=tenant.organization,
                                                changes={key: value for key, value in data.items() if value is not None})
        return {"delivery_settings": row}


class CreateWebhookEndpointMutation(BaseMutation):
    """Register an endpoint for events (all by default). The signing secret is in this payload
    only: store it now."""

    webhook_endpoint = graphene.Field(WebhookEndpointGQLType)
    secret = graphene.String(description="whsec_…: shown once")

    class Input:
        url = graphene.String(required=True)
        events = graphene.List(graphene.NonNull(graphene.String), description=", ".join(services.WEBHOOK_EVENTS))
        description = graphene.String()

    class Meta:
        permissions = ("invoice.add_webhookendpoint",)

    @classmethod
    def perform(cls, *, tenant, data):
        endpoint, secret = services.webhook_endpoint_create(
            actor=tenant.user, organization=tenant.organization, url=data["url"], events=data.get("events"),
            description=data.get("description") or "")
        return {"webhook_endpoint": endpoint, "secret": secret, "internal_id": endpoint.id}


class UpdateWebhookEndpointMutation(BaseMutation):
    webhook_endpoint = graphene.Field(WebhookEndpointGQLType)

    class Input:
        id = graphene.String(required=True)
        url = graphene.String()
        events = graphene.List(graphene.NonNull(graphene.String))
        description = graphene.String()
        is_active = graphene.Boolean()

    class Meta:
        permissions = ("invoice.change_webhookendpoint",)

    @classmethod
    def perform(cls, *, tenant, data):
        endpoint = get_scoped(WebhookEndpoint.objects.all(), tenant.organization, decode_id(data.pop("id"), "id"),
                              what="webhook endpoint")
        endpoint = services.webhook_endpoint_update(
            actor=tenant.user, endpoint=endpoint, changes={k: v for k, v in data.items() if v is not None})
        return {"webhook_endpoint": endpoint, "internal_id": endpoint.id}


class SetSftpDestinationMutation(BaseMutation):
    """Create or change the organisation's SFTP destination. `hostKey` is the server's public key
    (OpenSSH format, e.g. from `ssh-keyscan`): the only one accepted. Password and private key are
    write-only."""

    sftp_destination = graphene.Field(SftpDestinationGQLType)

    class Input:
        host = graphene.String()
        port = graphene.Int()
        username = graphene.String()
        password = graphene.String()
        private_key = graphene.String()
        host_key = graphene.String()
        remote_folder = graphene.String()
        mode = graphene.String(description="automatic (default) or on_request")
        is_active = graphene.Boolean()

    class Meta:
        permissions = ("invoice.change_sftpdestination",)

    @classmethod
    def perform(cls, *, tenant, data):
        row = services.sftp_destination_set(actor=tenant.user, organization=tenant.organization,
                                            data={k: v for k, v in data.items() if v is not None})
        return {"sftp_destination": row, "internal_id": row.id}
