"""Overdue invoices: the daily overdue run (invoice.services.overdue) tells the delivery module,
which e-mails the buyer a reminder when the organisation turned reminders on, and posts
`invoice.overdue` to the webhooks listening — once per overdue spell."""
from __future__ import annotations

from datetime import timedelta

import pytest

from invoice.delivery import services
from invoice.delivery.models import Delivery, DeliveryStatus
from invoice.services.overdue import flag_overdue_invoices
from tests.invoice.delivery.servers import WebhookReceiver

pytestmark = pytest.mark.django_db


def run_overdue(invoice, days_after_due: int, capture):
    with capture(execute=True):
        return flag_overdue_invoices(on=invoice.date_due + timedelta(days=days_after_due))


def test_an_overdue_invoice_gets_one_reminder_with_its_document(user_a, org_a, validated_invoice, make_document,
                                                                mailbox, django_capture_on_commit_callbacks):
    # given: reminders on, and the invoice's PDF created
    services.delivery_settings_update(actor=user_a, organization=org_a, changes={"email_reminders": True})
    document = make_document(validated_invoice, "pdf")
    # when: the overdue run of the day after the due date, then of the next day
    assert run_overdue(validated_invoice, 1, django_capture_on_commit_callbacks)["flagged"] == 1
    run_overdue(validated_invoice, 2, django_capture_on_commit_callbacks)
    # then: one reminder, in French by default, the PDF attached
    [reminder] = Delivery.objects.filter(event="invoice.overdue", channel="email")
    assert reminder.status == DeliveryStatus.SENT and reminder.document_id == document.pk
    [message] = mailbox
    assert message.subject.startswith(f"{org_a.name} — relance : facture {validated_invoice.code}")
    assert "reste impayée" in message.body and "289,50 EUR restent dus" in message.body
    assert [name for name, _content, _type in message.attachments] == [f"{validated_invoice.code}.pdf"]


def test_reminders_are_off_by_default_but_webhooks_hear_of_it(user_a, org_a, validated_invoice, mailbox,
                                                              django_capture_on_commit_callbacks):
    with WebhookReceiver() as receiver:
        services.webhook_endpoint_create(actor=user_a, organization=org_a, url=receiver.url,
                                         events=["invoice.overdue"])
        run_overdue(validated_invoice, 3, django_capture_on_commit_callbacks)
    assert mailbox == []
    [posted] = receiver.received
    assert posted.payload["type"] == "invoice.overdue"
    assert posted.payload["data"]["invoice"]["overdueSince"] == (validated_invoice.date_due + timedelta(days=1)).isoformat()
