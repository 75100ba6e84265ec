"""Delivery: where an organisation sends its invoices (settings, webhook endpoints, SFTP
destinations) and the record of every send (Delivery) and of every try of it (DeliveryAttempt).

Imported by invoice.models so that Django finds the models under the `invoice` app."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from core.ids import uuid7
from core.models import Organization

# The event of an overdue invoice: its webhook, and the reminder e-mail's `Delivery.event`.
REMINDER_EVENT = "invoice.overdue"


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", "e-mail"
    WEBHOOK = "webhook", "webhook"
    SFTP = "sftp", "SFTP"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    SENT = "sent", "sent"
    FAILED = "failed", "failed"


class DeliveryMode(models.TextChoices):
    AUTOMATIC = "automatic", "every created document"
    ON_REQUEST = "on_request", "on request (sendInvoiceDocument, POST /v2/invoices/{id}/send)"


class DeliveryLanguage(models.TextChoices):
    FR = "fr", "français"
    EN = "en", "English"


class DeliverySettings(models.Model):
    """An organisation's e-mail delivery settings (a missing row means the defaults)."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, primary_key=True,
                                        related_name="delivery_settings")
    email_mode = models.CharField(max_length=12, choices=DeliveryMode.choices, default=DeliveryMode.ON_REQUEST)
    email_language = models.CharField(max_length=2, choices=DeliveryLanguage.choices, default=DeliveryLanguage.FR)
    email_subject = models.CharField(max_length=255, blank=True, default="",
                                     help_text="template; blank: the default of email_language")
    email_body = models.TextField(blank=True, default="", help_text="template; blank: the default of email_language")
    email_reply_to = models.EmailField(blank=True, default="", help_text="blank: the organisation's e-mail")
    email_bcc = models.EmailField(blank=True, default="", help_text="a copy of every mail (the organisation's archive)")
    email_reminders = models.BooleanField(default=False,
                                          help_text="e-mail the buyer a reminder when an invoice becomes overdue")
    date_updated = models.DateTimeField(auto_now=True)

    tenant_path = "organization"


class WebhookEndpoint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=255, blank=True, default="")
    events = models.JSONField(default=list, help_text="event types sent to this endpoint")
    secret_encrypted = models.TextField(help_text="whsec_… encrypted with DELIVERY_ENCRYPTION_KEY")
    is_active = models.BooleanField(default=True)
    disabled_reason = models.TextField(blank=True, default="")
    date_disabled = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    date_created = models.DateTimeField(auto_now_add=True)
    date_updated = models.DateTimeField(auto_now=True)

    tenant_path = "organization"

    class Meta:
        ordering = ("date_created",)


class SftpDestination(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="sftp_destinations")
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=22)
    username = models.CharField(max_length=255)
    password_encrypted = models.TextField(blank=True, default="")
    private_key_encrypted = models.TextField(blank=True, default="")
    host_key = models.TextField(help_text="the server's public key (OpenSSH format): the only one accepted")
    remote_folder = models.CharField(max_length=512, default="/invoices/{year}",
                                     help_text="pattern: {year} {month} {organization} {operator} {format}")
    mode = models.CharField(max_length=12, choices=DeliveryMode.choices, default=DeliveryMode.AUTOMATIC)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    date_created = models.DateTimeField(auto_now_add=True)
    date_updated = models.DateTimeField(auto_now=True)

    tenant_path = "organization"

    class Meta:
        ordering = ("date_created",)


class Delivery(models.Model):
    """One thing sent through one channel to one target: a document e-mailed or uploaded, an
    event posted to a webhook. It ends `sent` (with the provider's message id) or `failed` (with
    the reason); its tries are DeliveryAttempt rows."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="deliveries")
    invoice = models.ForeignKey("invoice.Invoice", on_delete=models.PROTECT, related_name="deliveries")
    document = models.ForeignKey("invoice.InvoiceDocument", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="deliveries")
    channel = models.CharField(max_length=10, choices=DeliveryChannel.choices)
    event = models.CharField(max_length=40, default="invoice_document.created",
                             help_text="what is delivered: a document, or a webhook event type")
    recipient = models.TextField(help_text="e-mail addresses, the webhook URL, or sftp://user@host:port/folder")
    webhook_endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="deliveries")
    sftp_destination = models.ForeignKey(SftpDestination, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="deliveries")
    payload = models.JSONField(null=True, blank=True, help_text="the webhook body, fixed when the event happened")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED,
                              db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True,
                                           help_text="not sent before; while a try runs, the end of its lease")
    awaiting_dispatch = models.BooleanField(default=False,
                                            help_text="no message of it is queued: the dispatcher sends it when due")
    provider_message_id = models.CharField(max_length=512, blank=True, default="")
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    replay_of = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="replays")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    date_created = models.DateTimeField(auto_now_add=True, db_index=True)
    date_updated = models.DateTimeField(auto_now=True)
    date_sent = models.DateTimeField(null=True, blank=True)

    tenant_path = "organization"

    class Meta:
        ordering = ("date_created", "id")
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
                   models.Index(fields=["webhook_endpoint", "invoice", "status"], name="delivery_webhook_order_idx")]


class DeliveryAttempt(models.Model):
    """One try of a delivery: when, how it ended, what the other side said."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "running (or interrupted)"
        SENT = "sent", "sent"
        RETRY = "retry", "failed, will retry"
        FAILED = "failed", "failed"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    response_status = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    tenant_path = "delivery__organization"

    class Meta:
        ordering = ("delivery", "number")
        constraints = [models.UniqueConstraint(fields=("delivery", "number"), name="delivery_attempt_unique")]
