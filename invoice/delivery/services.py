"""Delivery: configure the channels of an organisation, queue deliveries (on a document's or an
invoice's change, or on request), make one try of a delivery, fail it, replay it.

The discipline is generation's (invoice.services.documents): a delivery row is written in the
transaction that causes it and its task is enqueued when that transaction commits; a try that may
succeed later is retried with backoff; a try that cannot (or the last one) rejects the task
message to the dead-letter queue, whose consumer marks the row `failed` with the reason kept on
it (invoice.dlq). Nothing is sent twice: a try takes a lease on the row (`next_attempt_at`), so a
duplicate message during the try finds it not due and sends nothing; a try cut short by a crash
is sent again by the dispatcher when the lease has run out."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import metrics
from core.error_codes import CoreErrorCode
from core.errors import DomainError
from core.validation import (
    ensure_email,
    ensure_int_range,
    ensure_max_length,
    ensure_required,
)
from invoice.constants import DocumentStatus, EventType, InvoiceStatus
from invoice.delivery import secrets as stored
from invoice.delivery import templates
from invoice.delivery.channels import ChannelError, sender
from invoice.delivery.models import (
    REMINDER_EVENT,
    Delivery,
    DeliveryAttempt,
    DeliveryChannel,
    DeliveryLanguage,
    DeliveryMode,
    DeliverySettings,
    DeliveryStatus,
    SftpDestination,
    WebhookEndpoint,
)
from invoice.delivery.targets import TargetRefused, check_literal
from invoice.error_codes import InvoiceErrorCode
from invoice.selectors import party_snapshot
from invoice.services.events import event_record

logger = logging.getLogger("molink.delivery")
alerts = logging.getLogger("molink.alerts")

DOCUMENT_EVENTS = {DocumentStatus.CREATED: "invoice_document.created", DocumentStatus.FAILED: "invoice_document.failed"}
INVOICE_EVENTS = {InvoiceStatus.VALIDATED: "invoice.validated", InvoiceStatus.PAID: "invoice.paid",
                  InvoiceStatus.CANCELLED: "invoice.cancelled"}
WEBHOOK_EVENTS = tuple(DOCUMENT_EVENTS.values()) + tuple(INVOICE_EVENTS.values()) + (REMINDER_EVENT,)
DOCUMENT_CHANNELS = (DeliveryChannel.EMAIL, DeliveryChannel.SFTP)
WAIT_FOR_TURN = 30.0  # seconds: a webhook event waits for the earlier ones of its invoice


class DeliveryRetry(Exception):
    """This try failed and another will be made: after `countdown` seconds (a task retry), or
    when the dispatcher finds the row due (countdown None)."""

    def __init__(self, code: str, message: str, countdown: float | None):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.countdown = code, message, countdown


class DeliveryGiveUp(Exception):
    """No more tries: the delivery is to be failed (through the dead-letter queue)."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


# --- settings -----------------------------------------------------------------------------------

def delivery_settings(organization) -> DeliverySettings:
    """The organisation's settings, or the defaults (unsaved) when it never changed them."""
    found = DeliverySettings.objects.filter(organization=organization).first()
    return found or DeliverySettings(organization=organization)


def _ensure_choice(value, choices, field: str) -> str:
    if value not in choices.values:
        raise DomainError(CoreErrorCode.INVALID, f"{field} must be one of {', '.join(choices.values)}, got {value!r}",
                          field)
    return value


def _ensure_template(value: str, limit: int, field: str) -> str:
    ensure_max_length(value, limit, field)
    unknown = templates.unknown_placeholders(value)
    if unknown:
        raise DomainError(InvoiceErrorCode.UNKNOWN_PLACEHOLDER,
                          f"unknown placeholder {{{unknown[0]}}}; known: "
                          + ", ".join("{" + name + "}" for name in templates.PLACEHOLDERS), field)
    return value


@transaction.atomic
def delivery_settings_update(*, actor, organization, changes: dict) -> DeliverySettings:
    row = DeliverySettings.objects.select_for_update().filter(organization=organization).first() \
        or DeliverySettings(organization=organization)
    if "email_mode" in changes:
        row.email_mode = _ensure_choice(changes["email_mode"], DeliveryMode, "emailMode")
    if "email_language" in changes:
        row.email_language = _ensure_choice(changes["email_language"], DeliveryLanguage, "emailLanguage")
    if "email_subject" in changes:
        row.email_subject = _ensure_template((changes["email_subject"] or "").strip(), 255, "emailSubject")
    if "email_body" in changes:
        row.email_body = _ensure_template(changes["email_body"] or "", 20000, "emailBody")
    if "email_reminders" in changes:
        row.email_reminders = bool(changes["email_reminders"])
    for key, field in (("email_reply_to", "emailReplyTo"), ("email_bcc", "emailBcc")):
        if key in changes:
            value = (changes[key] or "").strip()
            if value:
                ensure_email(value, field)
            setattr(row, key, value)
    row.save()
    return row


# --- webhook endpoints --------------------------------------------------------------------------

def _ensure_url(url: str | None) -> str:
    ensure_required(url, "url")
    url = url.strip()
    ensure_max_length(url, 2000, "url")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DomainError(InvoiceErrorCode.INVALID_URL, f"url must be an http or https URL, got {url!r}", "url")
    if parts.username or parts.password:
        raise DomainError(InvoiceErrorCode.INVALID_URL, "url must not carry credentials: the signature authenticates",
                          "url")
    try:
        check_literal(parts.hostname)
    except TargetRefused as exc:
        raise DomainError(InvoiceErrorCode.TARGET_NOT_ALLOWED, exc.message, "url") from None
    return url


def _ensure_events(events) -> list[str]:
    events = list(events or WEBHOOK_EVENTS)
    for event in events:
        if event not in WEBHOOK_EVENTS:
            raise DomainError(InvoiceErrorCode.UNKNOWN_EVENT,
                              f"unknown event {event!r}; known: {', '.join(WEBHOOK_EVENTS)}", "events")
    return sorted(set(events), key=WEBHOOK_EVENTS.index)


@transaction.atomic
def webhook_endpoint_create(*, actor, organization, url: str, events=None,
                            description: str = "") -> tuple[WebhookEndpoint, str]:
    """(endpoint, secret): the secret signs every message and is returned here only."""
    from invoice.delivery.channels.webhook import new_secret

    ensure_max_length(description or "", 255, "description")
    secret = new_secret()
    _forget_endpoints()
    endpoint = WebhookEndpoint.objects.create(
        organization=organization, url=_ensure_url(url), events=_ensure_events(events),
        description=(description or "").strip(), secret_encrypted=stored.encrypt(secret), created_by=actor)
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_update(*, actor, endpoint: WebhookEndpoint, changes: dict) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    _forget_endpoints()
    if "url" in changes:
        endpoint.url = _ensure_url(changes["url"])
    if "events" in changes:
        endpoint.events = _ensure_events(changes["events"])
    if "description" in changes:
        ensure_max_length(changes["description"] or "", 255, "description")
        endpoint.description = (changes["description"] or "").strip()
    if "is_active" in changes:
        endpoint.is_active = bool(changes["is_active"])
        if endpoint.is_active:
            endpoint.disabled_reason, endpoint.date_disabled = "", None
        else:
            endpoint.disabled_reason, endpoint.date_disabled = f"disabled by {actor}", timezone.now()
    endpoint.save()
    return endpoint


# --- SFTP destinations --------------------------------------------------------------------------

def _ensure_folder(pattern: str) -> str:
    from invoice.delivery.channels.sftp import FOLDER_FIELDS

    pattern = (pattern or "").strip() or "/invoices/{year}"
    ensure_max_length(pattern, 512, "remoteFolder")
    for name in templates.names_in(pattern):
        if name not in FOLDER_FIELDS:
            raise DomainError(InvoiceErrorCode.UNKNOWN_PLACEHOLDER,
                              f"unknown placeholder {{{name}}}; known: {', '.join('{' + f + '}' for f in FOLDER_FIELDS)}",
                              "remoteFolder")
    if ".." in pattern.split("/"):
        raise DomainError(CoreErrorCode.INVALID, "remoteFolder must not contain '..'", "remoteFolder")
    return pattern


@transaction.atomic
def sftp_destination_set(*, actor, organization, data: dict) -> SftpDestination:
    """Create the organisation's SFTP destination, or change it (one per organisation). Password
    and private key are stored encrypted and never read back."""
    from invoice.delivery.channels.sftp import parse_host_key, parse_private_key

    row = SftpDestination.objects.select_for_update().filter(organization=organization).first() \
        or SftpDestination(organization=organization, created_by=actor)
    if "host" in data or row._state.adding:
        ensure_required(data.get("host"), "host")
        host = data["host"].strip()
        ensure_max_length(host, 255, "host")
        try:
            check_literal(host)
        except TargetRefused as exc:
            raise DomainError(InvoiceErrorCode.TARGET_NOT_ALLOWED, exc.message, "host") from None
        row.host = host
    if data.get("port") is not None:
        row.port = ensure_int_range(data["port"], "port", 1, 65535)
    if "username" in data or row._state.adding:
        ensure_required(data.get("username"), "username")
        ensure_max_length(data["username"], 255, "username")
        row.username = data["username"].strip()
    if "host_key" in data or row._state.adding:
        ensure_required(data.get("host_key"), "hostKey")
        try:
            parse_host_key(data["host_key"])
        except ValueError as exc:
            raise DomainError(InvoiceErrorCode.INVALID_HOST_KEY, str(exc), "hostKey") from None
        row.host_key = data["host_key"].strip()
    if data.get("password") is not None:
        row.password_encrypted = stored.encrypt(data["password"])
    if data.get("private_key") is not None:
        if data["private_key"]:
            try:
                parse_private_key(data["private_key"])
            except ValueError as exc:
                raise DomainError(InvoiceErrorCode.INVALID_PRIVATE_KEY, str(exc), "privateKey") from None
        row.private_key_encrypted = stored.encrypt(data["private_key"])
    if not row.password_encrypted and not row.private_key_encrypted:
        raise DomainError(InvoiceErrorCode.CREDENTIALS_REQUIRED, "give a password or a private key", "password")
    if "remote_folder" in data or row._state.adding:
        row.remote_folder = _ensure_folder(data.get("remote_folder") or "")
    if data.get("mode") is not None:
        row.mode = _ensure_choice(data["mode"], DeliveryMode, "mode")
    if data.get("is_active") is not None:
        row.is_active = bool(data["is_active"])
    row.save()
    return row


# --- queueing -----------------------------------------------------------------------------------

def _buyer(invoice):
    return party_snapshot(invoice.thirdparty)


def _queue(**fields) -> Delivery:
    delivery = Delivery.objects.create(**fields)
    transaction.on_commit(lambda: enqueue_or_flag(delivery.pk))
    metrics.increment("molink_deliveries_queued_total", {"channel": delivery.channel})
    return delivery


def _document_data(document) -> dict:
    return {"document": {"id": str(document.id), "format": document.format, "status": document.status,
                         "size": document.size, "checksum": document.checksum or None,
                         "errorCode": document.error_code or None, "errorMessage": document.error_message or None}}


def _invoice_data(invoice) -> dict:
    return {"id": str(invoice.id), "code": invoice.code, "status": InvoiceStatus(invoice.status).label,
            "documentType": invoice.document_type, "currency": invoice.currency_code,
            "amountTotal": str(invoice.amount_total), "amountNet": str(invoice.amount_net),
            "dateInvoice": invoice.date_invoice.isoformat() if invoice.date_invoice else None,
            "dateDue": invoice.date_due.isoformat() if invoice.date_due else None}


def _active_endpoints(organization_id) -> list[WebhookEndpoint]:
    """The organisation's active endpoints, read once per transaction: a bank import that pays
    10,000 invoices tells the status hook 10,000 times in one transaction. The memo lives as long
    as an on-commit callback it registers: gone at commit, at rollback, and at the rollback of a
    savepoint taken before it (the callback's slot no longer holds it); endpoint changes drop it."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return list(WebhookEndpoint.objects.filter(organization_id=organization_id, is_active=True))
    memo = getattr(connection, "_molink_endpoint_memo", None)
    pending = connection.run_on_commit
    if memo is None or not (memo["slot"] < len(pending) and pending[memo["slot"]][1] is memo["marker"]):
        def marker():
            connection._molink_endpoint_memo = None

        transaction.on_commit(marker)
        memo = {"slot": len(pending) - 1, "marker": marker, "endpoints": {}}
        connection._molink_endpoint_memo = memo
    if organization_id not in memo["endpoints"]:
        memo["endpoints"][organization_id] = list(
            WebhookEndpoint.objects.filter(organization_id=organization_id, is_active=True))
    return memo["endpoints"][organization_id]


def _forget_endpoints(**_signal) -> None:
    """Drop the memo: on an endpoint change, and at the start of every HTTP request (a request in
    a test runs inside the test's transaction, where the memo would otherwise outlive it)."""
    transaction.get_connection()._molink_endpoint_memo = None


def _queue_webhooks(invoice, event: str, data=dict) -> list[Delivery]:
    """One delivery of `event` per endpoint listening. The payload — type, timestamp, data with the
    organisation, the invoice and what `data()` adds (or replaces) — is built only when one listens:
    a bank import pays thousands of invoices in one transaction."""
    endpoints = [endpoint for endpoint in _active_endpoints(invoice.organization_id) if event in endpoint.events]
    if not endpoints:
        return []
    payload = {"type": event, "timestamp": timezone.now().isoformat(),
               "data": {"organization": {"id": str(invoice.organization_id)}, "invoice": _invoice_data(invoice),
                        **data()}}
    return [_queue(organization_id=invoice.organization_id, invoice=invoice, document=None,
                   channel=DeliveryChannel.WEBHOOK, event=event, recipient=endpoint.url, webhook_endpoint=endpoint,
                   payload=payload)
            for endpoint in endpoints]


def _queue_document(document, channel: str, *, recipient: str | None = None, destination=None,
                    actor=None) -> Delivery:
    if channel == DeliveryChannel.SFTP:
        recipient = f"sftp://{destination.username}@{destination.host}:{destination.port}{destination.remote_folder}"
    return _queue(organization_id=document.organization_id, invoice=document.invoice, document=document,
                  channel=channel, event="invoice_document.created", recipient=recipient,
                  sftp_destination=destination, requested_by=actor)


def on_document_status_changed(document, *, old: str, new: str) -> None:
    """Hook (in the changing transaction): a created document goes out through the channels the
    organisation set to automatic; webhooks hear of created and failed documents."""
    event = DOCUMENT_EVENTS.get(new)
    if event is None:
        return
    _queue_webhooks(document.invoice, event, lambda: _document_data(document))
    if new != DocumentStatus.CREATED:
        return
    options = delivery_settings(document.organization)
    if options.email_mode == DeliveryMode.AUTOMATIC:
        email = _buyer(document.invoice).email
        if email:
            _queue_document(document, DeliveryChannel.EMAIL, recipient=email)
        else:
            event_record(invoice=document.invoice, event_type=EventType.WARNING, reason="delivery_skipped",
                         message=f"{document.format} document not e-mailed: the buyer has no e-mail address")
    for destination in SftpDestination.objects.filter(organization_id=document.organization_id, is_active=True,
                                                      mode=DeliveryMode.AUTOMATIC):
        _queue_document(document, DeliveryChannel.SFTP, destination=destination)


def on_invoice_status_changed(invoice, *, old: int, new: int, actor, **context) -> None:
    """Hook (in the changing transaction): webhooks hear of validated, paid and cancelled invoices."""
    event = INVOICE_EVENTS.get(new)
    if event is None or old == new:
        return
    credit_note = context.get("credit_note")
    _queue_webhooks(invoice, event, lambda: {} if credit_note is None else
                    {"creditNote": {"id": str(credit_note.id), "code": credit_note.code}})


@transaction.atomic
def on_invoice_overdue(invoice, *, since) -> None:
    """Hook (after the overdue run's commit): webhooks hear of `invoice.overdue`; the buyer gets a
    reminder by e-mail when the organisation turned reminders on (its latest created document
    attached, a PDF first)."""
    from invoice.models import Invoice, InvoiceDocument

    invoice = Invoice.objects.select_related("organization").get(pk=invoice.pk)
    _queue_webhooks(invoice, REMINDER_EVENT, lambda: {"invoice": {
        **_invoice_data(invoice), "amountPaid": str(invoice.amount_payed), "overdueSince": since.isoformat()}})
    if not delivery_settings(invoice.organization).email_reminders:
        return
    email = _buyer(invoice).email
    if not email:
        event_record(invoice=invoice, event_type=EventType.WARNING, reason="delivery_skipped",
                     message="overdue reminder not e-mailed: the buyer has no e-mail address")
        return
    documents = InvoiceDocument.objects.filter(invoice=invoice, status=DocumentStatus.CREATED)
    document = documents.filter(format="pdf").order_by("-date_created").first() \
        or documents.order_by("-date_created").first()
    _queue(organization_id=invoice.organization_id, invoice=invoice, document=document,
           channel=DeliveryChannel.EMAIL, event=REMINDER_EVENT, recipient=email)


def _what(delivery: Delivery) -> str:
    if delivery.event == REMINDER_EVENT:
        return "overdue reminder"
    if delivery.channel == DeliveryChannel.WEBHOOK:
        return f"event {delivery.event}"
    return f"{delivery.document.format} document"


def _parse_recipients(recipients) -> str:
    addresses = []
    for index, address in enumerate(recipients):
        address = (address or "").strip()
        ensure_email(address, f"recipients.{index}")
        addresses.append(address)
    return ", ".join(dict.fromkeys(addresses))


@transaction.atomic
def send_document(*, actor, organization, document, channels=None, recipients=None) -> list[Delivery]:
    """Send a created document now: by e-mail (to `recipients`, else the buyer's address) and/or
    to the organisation's SFTP destination. One delivery per channel."""
    from invoice.models import InvoiceDocument

    document = InvoiceDocument.objects.select_for_update().select_related("invoice").get(pk=document.pk)
    if document.status != DocumentStatus.CREATED:
        raise DomainError(InvoiceErrorCode.DOCUMENT_NOT_CREATED,
                          f"document is {document.status}: only a created document can be sent", "documentId")
    channels = list(dict.fromkeys(channels or [DeliveryChannel.EMAIL]))
    for channel in channels:
        if channel not in DOCUMENT_CHANNELS:
            raise DomainError(InvoiceErrorCode.INVALID_CHANNEL,
                              f"channels must be among {', '.join(DOCUMENT_CHANNELS)}, got {channel!r}", "channels")
    deliveries = []
    for channel in channels:
        if channel == DeliveryChannel.EMAIL:
            recipient = _parse_recipients(recipients) if recipients else _buyer(document.invoice).email
            if not recipient:
                raise DomainError(InvoiceErrorCode.NO_RECIPIENT,
                                  "the buyer has no e-mail address: give recipients", "recipients")
            deliveries.append(_queue_document(document, channel, recipient=recipient, actor=actor))
        else:
            destination = SftpDestination.objects.filter(organization=organization, is_active=True).first()
            if destination is None:
                raise DomainError(InvoiceErrorCode.CHANNEL_NOT_CONFIGURED,
                                  "this organisation has no active SFTP destination", "channels")
            deliveries.append(_queue_document(document, channel, destination=destination, actor=actor))
    return deliveries


@transaction.atomic
def delivery_replay(*, actor, delivery: Delivery) -> Delivery:
    """Send a finished delivery again, as a new delivery (a webhook keeps its webhook-id)."""
    if delivery.status == DeliveryStatus.QUEUED:
        raise DomainError(InvoiceErrorCode.NOT_REPLAYABLE, "this delivery is still queued", "id")
    if delivery.channel == DeliveryChannel.WEBHOOK and not (delivery.webhook_endpoint and delivery.webhook_endpoint.is_active):
        raise DomainError(InvoiceErrorCode.NOT_REPLAYABLE, "its webhook endpoint is disabled: enable it first", "id")
    if delivery.channel == DeliveryChannel.SFTP and not (delivery.sftp_destination and delivery.sftp_destination.is_active):
        raise DomainError(InvoiceErrorCode.NOT_REPLAYABLE, "its SFTP destination is disabled", "id")
    return _queue(organization_id=delivery.organization_id, invoice_id=delivery.invoice_id,
                  document_id=delivery.document_id, channel=delivery.channel, event=delivery.event,
                  recipient=delivery.recipient, webhook_endpoint_id=delivery.webhook_endpoint_id,
                  sftp_destination_id=delivery.sftp_destination_id, payload=delivery.payload,
                  replay_of_id=delivery.replay_of_id or delivery.id, requested_by=actor)


def enqueue(delivery_id) -> None:
    from invoice.delivery.tasks import deliver
    from invoice.queues import declare_topology, work_queue

    declare_topology()
    deliver.apply_async(args=[str(delivery_id)], queue=work_queue(settings.DELIVERY_QUEUE))


def enqueue_or_flag(delivery_id) -> bool:
    """Enqueue a committed delivery; with the broker down, leave it to the dispatcher."""
    try:
        enqueue(delivery_id)
        return True
    except Exception as exc:  # noqa: BLE001 - any broker error: the row is the record of the delivery
        logger.warning("delivery %s: could not enqueue (%s: %s), the dispatcher will", delivery_id,
                       exc.__class__.__name__, exc)
        Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.QUEUED).update(
            awaiting_dispatch=True, date_updated=timezone.now())
        metrics.increment("molink_deliveries_enqueue_failed_total")
        return False


# --- one try ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Try:
    delivery: Delivery
    attempt: DeliveryAttempt


def _retry_delay(delivery: Delivery) -> float | None:
    """Seconds before the next try after `delivery.attempts` failed tries, or None: no more."""
    if delivery.channel == DeliveryChannel.WEBHOOK:
        schedule = settings.WEBHOOK_RETRY_SCHEDULE
        return schedule[delivery.attempts - 1] if delivery.attempts <= len(schedule) else None
    if delivery.attempts > settings.DELIVERY_MAX_RETRIES:
        return None
    return settings.DELIVERY_RETRY_BACKOFF * (2 ** (delivery.attempts - 1))


def _earlier_webhook_pending(delivery: Delivery) -> bool:
    return (Delivery.objects.filter(webhook_endpoint_id=delivery.webhook_endpoint_id, invoice_id=delivery.invoice_id,
                                    status=DeliveryStatus.QUEUED)
            .filter(Q(date_created__lt=delivery.date_created) | Q(date_created=delivery.date_created, id__lt=delivery.id))
            .exists())


def _begin(delivery_id) -> _Try | None:
    """Take the row for one try (None: nothing to do now)."""
    now = timezone.now()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None:
            raise DeliveryGiveUp("NOT_FOUND", f"delivery {delivery_id} does not exist")
        if delivery.status != DeliveryStatus.QUEUED:
            return None  # sent or failed already: a duplicate message
        if delivery.next_attempt_at and delivery.next_attempt_at > now + timedelta(seconds=1):
            return None  # a try holds it, or its next try is later: that one will run
        if delivery.channel == DeliveryChannel.WEBHOOK and _earlier_webhook_pending(delivery):
            delivery.next_attempt_at, delivery.awaiting_dispatch = now + timedelta(seconds=WAIT_FOR_TURN), True
            delivery.save(update_fields=["next_attempt_at", "awaiting_dispatch", "date_updated"])
            return None  # its turn comes when the earlier events of its invoice are done
        # A try still marked running was cut short (a crash): it ended, unknown how.
        delivery.attempt_log.filter(outcome=DeliveryAttempt.Outcome.RUNNING).update(
            outcome=DeliveryAttempt.Outcome.RETRY, error_code="INTERRUPTED", finished_at=now,
            error_message="the try was interrupted (worker lost)")
        delivery.attempts += 1
        delivery.next_attempt_at = now + timedelta(seconds=settings.DELIVERY_LEASE)
        delivery.awaiting_dispatch = True  # if this try never ends, the dispatcher sends it again
        delivery.save(update_fields=["attempts", "next_attempt_at", "awaiting_dispatch", "date_updated"])
        attempt = DeliveryAttempt.objects.create(delivery=delivery, number=delivery.attempts)
    if delivery.attempts > settings.DELIVERY_MAX_RUNS:
        _finish_attempt(attempt, DeliveryAttempt.Outcome.FAILED, "POISON_MESSAGE", "too many runs")
        raise DeliveryGiveUp("POISON_MESSAGE", f"delivery ran {delivery.attempts} times without finishing")
    return _Try(delivery, attempt)


def _finish_attempt(attempt: DeliveryAttempt, outcome: str, code: str = "", message: str = "",
                    response_status: int | None = None) -> None:
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(
        outcome=outcome, error_code=code[:64], error_message=message[:2000], response_status=response_status,
        finished_at=timezone.now())


def _context(delivery: Delivery) -> dict:
    if delivery.channel != DeliveryChannel.EMAIL:
        return {}
    options = delivery_settings(delivery.organization)
    return {"settings_row": options, "buyer_name": _buyer(delivery.invoice).name,
            "reply_to": options.email_reply_to or delivery.organization.email}


def delivery_attempt(delivery_id) -> Delivery | None:
    """Make one try of a delivery. Returns the delivery when sent (None when there was nothing to
    do); raises DeliveryRetry (another try will be made) or DeliveryGiveUp (fail it)."""
    taken = _begin(delivery_id)
    if taken is None:
        return None
    delivery, attempt = taken.delivery, taken.attempt
    delivery = Delivery.objects.select_related("organization", "invoice__organization", "document__operator",
                                               "webhook_endpoint", "sftp_destination").get(pk=delivery.pk)
    try:
        sent = sender(delivery.channel)(delivery, **_context(delivery))
    except ChannelError as exc:
        return _failed_try(delivery, attempt, exc)
    except stored.SecretUnreadable as exc:
        return _failed_try(delivery, attempt, ChannelError("SECRET_UNREADABLE", str(exc), retryable=False))
    with transaction.atomic():
        row = Delivery.objects.select_for_update().get(pk=delivery.pk)
        _finish_attempt(attempt, DeliveryAttempt.Outcome.SENT, response_status=sent.response_status)
        if row.status != DeliveryStatus.QUEUED:
            return row
        row.status, row.date_sent = DeliveryStatus.SENT, timezone.now()
        row.provider_message_id = sent.provider_message_id[:512]
        row.error_code, row.error_message, row.next_attempt_at, row.awaiting_dispatch = "", "", None, False
        row.save()
        if row.channel != DeliveryChannel.WEBHOOK or row.event in DOCUMENT_EVENTS.values():
            # what was sent of the invoice's documents shows on its card; status webhooks only in the log
            event_record(invoice=row.invoice, event_type=EventType.STATUS, reason="delivery_sent",
                         message=f"{_what(row)} sent by {row.get_channel_display()} to "
                                 f"{row.recipient} ({row.provider_message_id})")
        metrics.increment("molink_deliveries_total", {"channel": row.channel, "result": "sent"})
        _next_in_turn(row)
    return row


def _failed_try(delivery: Delivery, attempt: DeliveryAttempt, exc: ChannelError):
    delay = _retry_delay(delivery) if exc.retryable else None
    outcome = DeliveryAttempt.Outcome.RETRY if delay is not None else DeliveryAttempt.Outcome.FAILED
    _finish_attempt(attempt, outcome, exc.code, exc.message, exc.response_status)
    now = timezone.now()
    fields = {"error_code": exc.code[:64], "error_message": exc.message[:2000], "date_updated": now}
    if delay is None:
        Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.QUEUED).update(**fields)
        raise DeliveryGiveUp(exc.code, exc.message)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        delay = 0.0  # in-process tasks: an eager retry runs at once, there is no dispatcher to wait for
    countdown = delay if delay <= settings.DELIVERY_COUNTDOWN_MAX else None
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.QUEUED).update(
        next_attempt_at=now + timedelta(seconds=delay) if delay else None, awaiting_dispatch=countdown is None,
        **fields)
    metrics.increment("molink_deliveries_retried_total", {"channel": delivery.channel})
    raise DeliveryRetry(exc.code, exc.message, countdown)


def _next_in_turn(delivery: Delivery) -> None:
    """A finished webhook delivery lets the next event of its invoice go (on commit)."""
    if delivery.channel != DeliveryChannel.WEBHOOK:
        return
    following = (Delivery.objects.filter(webhook_endpoint_id=delivery.webhook_endpoint_id, invoice_id=delivery.invoice_id,
                                         status=DeliveryStatus.QUEUED)
                 .order_by("date_created", "id").values_list("pk", flat=True).first())
    if following is not None:
        Delivery.objects.filter(pk=following).update(next_attempt_at=None, awaiting_dispatch=False)
        transaction.on_commit(lambda: enqueue_or_flag(following))


def delivery_note_error(delivery_id, code: str, message: str) -> None:
    Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.QUEUED).update(
        error_code=code[:64], error_message=message[:2000], date_updated=timezone.now())


@transaction.atomic
def delivery_fail(delivery_id, *, code: str | None = None, message: str | None = None,
                  source: str = "dlq") -> Delivery | None:
    """Mark a delivery `failed` with its reason: WARNING event on the invoice, alert, metric. A
    webhook endpoint whose delivery failed after all its retries is disabled (with an alert)."""
    row = (Delivery.objects.select_for_update(of=("self",)).select_related("invoice", "webhook_endpoint", "document")
           .filter(pk=delivery_id).first())
    if row is None:
        alerts.error("dead-lettered delivery %s does not exist", delivery_id)
        return None
    if row.status != DeliveryStatus.QUEUED:
        return row
    row.status = DeliveryStatus.FAILED
    row.error_code = (code or row.error_code or "DELIVERY_FAILED")[:64]
    row.error_message = (message or row.error_message or "delivery failed")[:2000]
    row.next_attempt_at, row.awaiting_dispatch = None, False
    row.save()
    event_record(invoice=row.invoice, event_type=EventType.WARNING, reason="delivery_failed",
                 message=f"{_what(row)} could not be sent by {row.get_channel_display()} to {row.recipient} after "
                         f"{row.attempts} attempt(s): {row.error_code} — {row.error_message}")
    metrics.increment("molink_deliveries_total", {"channel": row.channel, "result": "failed"})
    alerts.error("ALERT delivery %s (%s to %s, invoice %s) failed via %s: %s %s", row.pk, row.channel, row.recipient,
                 row.invoice.code, source, row.error_code, row.error_message)
    endpoint = row.webhook_endpoint
    if endpoint is not None and endpoint.is_active and row.error_code not in ("ENDPOINT_DISABLED", "NOT_FOUND"):
        _forget_endpoints()
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            is_active=False, date_disabled=timezone.now(),
            disabled_reason=f"disabled after delivery {row.pk} failed: {row.error_code} — {row.error_message}"[:2000])
        alerts.error("ALERT webhook endpoint %s (%s) disabled: delivery %s failed after %d attempts",
                     endpoint.pk, endpoint.url, row.pk, row.attempts)
    _next_in_turn(row)
    return row


def dispatch_due_deliveries(*, limit: int = 1000) -> dict[str, int]:
    """Enqueue the deliveries no message will run: due retries kept on the row, tries whose lease
    ran out (a crash), rows whose enqueue failed, and — the safety net — rows untouched for
    DELIVERY_STUCK_AFTER seconds."""
    now = timezone.now()
    stuck = now - timedelta(seconds=settings.DELIVERY_STUCK_AFTER)
    due = (Delivery.objects.filter(status=DeliveryStatus.QUEUED)
           .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
           .filter(Q(awaiting_dispatch=True) | Q(date_updated__lt=stuck))
           .order_by("date_created").values_list("pk", flat=True)[:limit])
    counts = {"enqueued": 0}
    for pk in list(due):
        Delivery.objects.filter(pk=pk, status=DeliveryStatus.QUEUED).update(awaiting_dispatch=False, date_updated=now)
        if enqueue_or_flag(pk):
            counts["enqueued"] += 1
    return counts


def _delivery_gauge():
    from django.db.models import Count

    for row in Delivery.objects.values("channel", "status").annotate(n=Count("id")):
        yield {"channel": row["channel"], "status": row["status"]}, row["n"]


metrics.register_gauge("molink_deliveries", "deliveries by channel and status", _delivery_gauge)
