"""Invoice events: the automatic trail (status, payments, warnings) and users' messages."""
from __future__ import annotations

from django.db import transaction

from core.errors import DomainError
from core.history import ensure_version, save_with_history
from core.validation import ensure_max_length, ensure_required
from invoice.constants import CUSTOMER_AUDIENCE, EVENT_AUDIENCE_KEY, EventType
from invoice.error_codes import InvoiceErrorCode
from invoice.models import Invoice, InvoiceEvent

MESSAGE_MAX = 4000


def event_record(*, invoice: Invoice, event_type: int, message: str, actor=None, reason: str = "event_record",
                 json_ext: dict | None = None) -> InvoiceEvent:
    event = InvoiceEvent(invoice=invoice, event_type=event_type, message=message, user=actor, json_ext=json_ext)
    save_with_history(event, actor=actor, reason=reason)
    return event


def _ensure_message(message: str | None) -> str:
    ensure_required(message, "message")
    message = message.strip()
    ensure_max_length(message, MESSAGE_MAX, "message")
    return message


@transaction.atomic
def event_message_create(*, actor, invoice: Invoice, message: str, to_customer: bool = False) -> InvoiceEvent:
    """A message in the invoice's events tab: a staff note, or (`to_customer`) a message addressed
    to the invoice's customer, which they read in their portal (invoice.constants.CUSTOMER_AUDIENCE)."""
    message = _ensure_message(message)
    return event_record(invoice=invoice, event_type=EventType.MESSAGE, message=message, actor=actor,
                        reason="event_message_create",
                        json_ext={EVENT_AUDIENCE_KEY: CUSTOMER_AUDIENCE} if to_customer else None)


@transaction.atomic
def event_message_update(*, actor, event: InvoiceEvent, message: str, version: int | None = None) -> InvoiceEvent:
    event = InvoiceEvent.objects.select_for_update().get(pk=event.pk)
    if event.event_type != EventType.MESSAGE:
        raise DomainError(InvoiceErrorCode.NOT_A_MESSAGE, "only message events can be edited; others are read-only", "eventType")
    if event.user_id != actor.pk:
        raise DomainError(InvoiceErrorCode.NOT_OWN_MESSAGE, "you can only edit your own messages", "id")
    ensure_version(event, version, "event")
    event.message = _ensure_message(message)
    save_with_history(event, actor=actor, reason="event_message_update")
    return event
