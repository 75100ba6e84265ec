"""E-mail delivery in eager mode (the real SMTP server: tests/integration/test_delivery_smtp.py)."""
from __future__ import annotations

import smtplib

import pytest

from invoice.constants import EventType
from invoice.delivery import services
from invoice.delivery.models import Delivery, DeliveryAttempt, DeliveryStatus
from invoice.models import InvoiceEvent
from tests.invoice.helpers import errors_of

pytestmark = pytest.mark.django_db


def buyer_email(invoice) -> str:
    return invoice.thirdparty.email


def test_sending_a_document_mails_it_to_the_buyer_with_the_file_attached(
        user_a, org_a, created_document, mailbox, local_storage, django_capture_on_commit_callbacks):
    # given: an organisation with an e-mail address (replies go there)
    org_a.email = "contact@org-a.test"
    org_a.save(update_fields=["email"])
    # when
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = services.send_document(actor=user_a, organization=org_a, document=created_document)
    # then
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
    [message] = mailbox
    invoice = created_document.invoice
    assert message.to == [buyer_email(invoice)]
    assert message.subject == f"{org_a.name} — facture {invoice.code}"
    assert invoice.code in message.body and "Veuillez trouver ci-joint" in message.body
    assert message.reply_to == ["contact@org-a.test"]
    [(name, content, mimetype)] = message.attachments
    assert name == f"{invoice.code}.json" and mimetype == created_document.content_type
    assert content == (local_storage / created_document.storage_key).read_bytes()
    assert message.extra_headers["Message-ID"] == delivery.provider_message_id
    event = InvoiceEvent.objects.get(invoice=invoice, event_type=EventType.STATUS, message__contains="sent by e-mail")
    assert buyer_email(invoice) in event.message


def test_the_organisation_template_and_language_shape_the_mail(user_a, org_a, created_document, mailbox,
                                                                django_capture_on_commit_callbacks):
    # given
    services.delivery_settings_update(actor=user_a, organization=org_a, changes={
        "email_language": "en", "email_subject": "Invoice {invoice_number} from {organization}",
        "email_reply_to": "billing@org-a.test"})
    # when
    with django_capture_on_commit_callbacks(execute=True):
        services.send_document(actor=user_a, organization=org_a, document=created_document,
                               recipients=["a@op.test", "b@op.test"])
    # then
    [message] = mailbox
    assert message.subject == f"Invoice {created_document.invoice.code} from {org_a.name}"
    assert message.body.startswith("Hello,") and message.to == ["a@op.test", "b@op.test"]
    assert message.reply_to == ["billing@org-a.test"]


def test_an_unknown_placeholder_is_refused_and_nothing_saved(user_a, org_a):
    with pytest.raises(Exception) as raised:
        services.delivery_settings_update(actor=user_a, organization=org_a, changes={"email_subject": "{invoice.__class__}"})
    assert errors_of(raised)[0][0] == "emailSubject"
    with pytest.raises(Exception) as raised:
        services.delivery_settings_update(actor=user_a, organization=org_a, changes={"email_body": "Hi {password}"})
    assert errors_of(raised) == [("emailBody", "UNKNOWN_PLACEHOLDER")]
    assert services.delivery_settings(org_a).email_body == ""


def test_automatic_mode_mails_every_created_document(user_a, org_a, validated_invoice, make_document, mailbox):
    # given
    services.delivery_settings_update(actor=user_a, organization=org_a, changes={"email_mode": "automatic"})
    # when
    document = make_document(validated_invoice)
    # then
    [delivery] = Delivery.objects.filter(document=document)
    assert delivery.status == DeliveryStatus.SENT and len(mailbox) == 1


def test_on_request_mode_mails_nothing_by_itself(validated_invoice, make_document, mailbox):
    make_document(validated_invoice)
    assert mailbox == [] and not Delivery.objects.exists()


def test_a_document_that_is_not_created_cannot_be_sent(user_a, org_a, validated_invoice):
    from invoice.services import documents

    pending = documents.document_request(actor=user_a, organization=org_a, invoice=validated_invoice, fmt="pdf")
    with pytest.raises(Exception) as raised:
        services.send_document(actor=user_a, organization=org_a, document=pending)
    assert errors_of(raised) == [("documentId", "DOCUMENT_NOT_CREATED")]
    assert not Delivery.objects.exists()


def test_a_bad_recipient_is_refused_before_anything_is_queued(user_a, org_a, created_document):
    with pytest.raises(Exception) as raised:
        services.send_document(actor=user_a, organization=org_a, document=created_document,
                               recipients=["ok@op.test", "not-an-address"])
    assert errors_of(raised) == [("recipients.1", "INVALID")]
    assert not Delivery.objects.exists()


def test_smtp_down_retries_then_fails_with_the_reason(user_a, org_a, created_document, settings, monkeypatch,
                                                      django_capture_on_commit_callbacks):
    # given: every SMTP connection refused
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard port: nothing listens
    settings.DELIVERY_MAX_RETRIES = 2
    # when
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = services.send_document(actor=user_a, organization=org_a, document=created_document)
    # then
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 3
    assert delivery.error_code == "SMTP_UNAVAILABLE"
    outcomes = list(delivery.attempt_log.values_list("outcome", flat=True))
    assert outcomes == [DeliveryAttempt.Outcome.RETRY] * 2 + [DeliveryAttempt.Outcome.FAILED]
    warning = InvoiceEvent.objects.get(invoice=created_document.invoice, event_type=EventType.WARNING)
    assert "SMTP_UNAVAILABLE" in warning.message and "3 attempt(s)" in warning.message


def test_a_refused_recipient_fails_at_once(user_a, org_a, created_document, monkeypatch,
                                           django_capture_on_commit_callbacks):
    from django.core.mail.backends.locmem import EmailBackend

    def refuse(self, messages):
        raise smtplib.SMTPRecipientsRefused({"x@op.test": (550, b"no such user")})

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = services.send_document(actor=user_a, organization=org_a, document=created_document,
                                            recipients=["x@op.test"])
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error_code) == (DeliveryStatus.FAILED, 1, "RECIPIENT_REFUSED")
    assert "550 no such user" in delivery.error_message


def test_a_second_run_of_a_sent_delivery_sends_nothing(user_a, org_a, created_document, mailbox,
                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = services.send_document(actor=user_a, organization=org_a, document=created_document)
    assert services.delivery_attempt(delivery.pk) is None  # a duplicate message
    assert len(mailbox) == 1


def test_a_run_during_another_runs_lease_sends_nothing(user_a, org_a, created_document, mailbox, monkeypatch):
    # given: a delivery whose first try is under way (its lease taken, not finished)
    delivery = services.send_document(actor=user_a, organization=org_a, document=created_document)[0]
    assert services._begin(delivery.pk) is not None
    # when: its message arrives twice meanwhile
    assert services.delivery_attempt(delivery.pk) is None
    # then
    assert mailbox == [] and Delivery.objects.get(pk=delivery.pk).attempts == 1
