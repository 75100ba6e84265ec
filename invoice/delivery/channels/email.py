"""E-mail: the document attached, through Django's e-mail backend (SMTP in production, files in
var/mail on the embedded default). The Message-ID is the delivery's, so a message sent again
after a crash between the server's acceptance and our record is recognisably the same message."""
from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from invoice import storage
from invoice.delivery.channels import ChannelError, Sent
from invoice.delivery.models import REMINDER_EVENT
from invoice.delivery.templates import message_of


def message_id(delivery) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "molink.invalid"
    return f"<delivery.{delivery.id}@{domain}>"


def build_message(delivery, *, settings_row, buyer_name: str, reply_to: str) -> EmailMessage:
    """The invoice's mail with its document attached, or the reminder of an overdue invoice (its
    document attached when it has one)."""
    document, invoice = delivery.document, delivery.invoice
    subject, body = message_of(settings_row, invoice, buyer_name, reminder=delivery.event == REMINDER_EVENT)
    message = EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address.strip() for address in delivery.recipient.split(",") if address.strip()],
        bcc=[settings_row.email_bcc] if settings_row.email_bcc else None,
        reply_to=[reply_to] if reply_to else None,
        headers={"Message-ID": message_id(delivery), "X-Molink-Delivery": str(delivery.id)},
    )
    if document is not None:
        with storage.open_document(document.storage_key) as handle:
            content = handle.read()
        extension = document.storage_key.rsplit(".", 1)[-1]
        message.attach(f"{invoice.code or document.id}.{extension}", content, document.content_type)
    return message


def send(delivery, *, settings_row, buyer_name: str, reply_to: str) -> Sent:
    try:
        message = build_message(delivery, settings_row=settings_row, buyer_name=buyer_name, reply_to=reply_to)
    except (storage.StorageUnavailable, OSError) as exc:
        raise ChannelError("STORAGE_UNAVAILABLE", f"the document could not be read: {exc}", retryable=True) from exc
    try:
        get_connection(fail_silently=False).send_messages([message])  # SMTP reads EMAIL_TIMEOUT itself
    except smtplib.SMTPRecipientsRefused as exc:
        refused = ", ".join(f"{address} ({code} {reason.decode(errors='replace') if isinstance(reason, bytes) else reason})"
                            for address, (code, reason) in exc.recipients.items())
        raise ChannelError("RECIPIENT_REFUSED", f"the server refused {refused}", retryable=False) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise ChannelError("SMTP_AUTH_FAILED", f"the SMTP server refused our login ({exc.smtp_code})",
                           retryable=False, response_status=exc.smtp_code) from exc
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        # 4xx: try again later (greylisting, a full queue); 5xx: this message will never pass
        raise ChannelError("SMTP_REJECTED" if exc.smtp_code >= 500 else "SMTP_TEMPORARY",
                           f"{exc.smtp_code} {text}", retryable=exc.smtp_code < 500,
                           response_status=exc.smtp_code) from exc
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        raise ChannelError("SMTP_UNAVAILABLE", f"{exc.__class__.__name__}: {exc}", retryable=True) from exc
    return Sent(message_id(delivery))
