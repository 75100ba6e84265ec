"""Webhooks: registration, Standard Webhooks signatures, events, order per invoice, retries, the
SSRF guard — against a real HTTP receiver on loopback (eager tasks)."""
from __future__ import annotations

import pytest

from invoice.delivery import secrets as stored
from invoice.delivery import services
from invoice.delivery.channels import webhook
from invoice.delivery.models import Delivery, DeliveryStatus, WebhookEndpoint
from invoice.services.invoices import invoice_cancel
from invoice.services.payments import payment_record
from tests.invoice.delivery.servers import WebhookReceiver
from tests.invoice.helpers import errors_of, make_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    with WebhookReceiver() as server:
        yield server


@pytest.fixture
def endpoint(user_a, org_a, receiver):
    endpoint, secret = services.webhook_endpoint_create(actor=user_a, organization=org_a, url=receiver.url)
    endpoint.secret = secret
    return endpoint


def test_the_secret_is_returned_once_and_stored_encrypted(endpoint):
    assert endpoint.secret.startswith("whsec_")
    row = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert endpoint.secret not in row.secret_encrypted and stored.decrypt(row.secret_encrypted) == endpoint.secret
    assert row.events == list(services.WEBHOOK_EVENTS)


def test_a_validated_invoice_is_posted_signed_per_standard_webhooks(user_a, org_a, endpoint, receiver,
                                                                     django_capture_on_commit_callbacks):
    from invoice.services.invoices import invoice_validate

    draft = make_draft(actor=user_a, organization=org_a)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = invoice_validate(actor=user_a, invoice=draft)
    [received] = receiver.received
    assert webhook.verify(endpoint.secret, received.headers, received.body)
    assert not webhook.verify("whsec_" + "A" * 44, received.headers, received.body)
    assert received.payload["type"] == "invoice.validated"
    assert received.payload["data"]["invoice"] == {**received.payload["data"]["invoice"], "code": invoice.code,
                                                    "amountTotal": str(invoice.amount_total)}
    delivery = Delivery.objects.get(channel="webhook")
    assert delivery.status == DeliveryStatus.SENT and received.headers["webhook-id"] == delivery.provider_message_id


def test_a_tampered_body_does_not_verify(endpoint):
    headers = {"webhook-id": "msg_1", "webhook-timestamp": "0"}
    import time

    headers["webhook-timestamp"] = str(int(time.time()))
    headers["webhook-signature"] = webhook.signature(endpoint.secret, "msg_1", int(headers["webhook-timestamp"]), b"{}")
    assert webhook.verify(endpoint.secret, headers, b"{}")
    assert not webhook.verify(endpoint.secret, headers, b'{"a":1}')


def test_events_of_an_invoice_arrive_in_order_and_retry_on_500(user_a, org_a, validated_invoice, endpoint, receiver,
                                                               django_capture_on_commit_callbacks):
    # given: the receiver fails the first two posts
    receiver.statuses[:] = [500, 500]
    # when: the invoice is paid, then (another) cancelled
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(actor=user_a, invoice=validated_invoice, data={"amount_payed": validated_invoice.amount_total,
                                                                   "code_ext": "VIR-1"})
    # then: invoice.paid arrived after two 500s, signed each time with the same webhook-id
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert [r.payload["type"] for r in receiver.received] == ["invoice.paid"] * 3 and len(ids) == 1
    paid = Delivery.objects.get(event="invoice.paid")
    assert paid.status == DeliveryStatus.SENT and paid.attempts == 3
    assert list(paid.attempt_log.values_list("response_status", flat=True)) == [500, 500, 200]


def test_a_later_event_waits_for_the_earlier_one_of_its_invoice(user_a, org_a, endpoint, receiver):
    # given: two events of one invoice queued (not yet sent), the later one tried first
    invoice = make_draft(actor=user_a, organization=org_a)
    first = services._queue(organization_id=org_a.pk, invoice=invoice, channel="webhook", event="invoice.validated",
                            recipient=endpoint.url, webhook_endpoint=endpoint, payload={"n": 1})
    second = services._queue(organization_id=org_a.pk, invoice=invoice, channel="webhook", event="invoice.paid",
                             recipient=endpoint.url, webhook_endpoint=endpoint, payload={"n": 2})
    # when
    assert services.delivery_attempt(second.pk) is None
    # then: nothing posted; once the first is sent, the second goes
    assert receiver.received == []
    services.delivery_attempt(first.pk)
    Delivery.objects.filter(pk=second.pk).update(next_attempt_at=None)
    services.delivery_attempt(second.pk)
    assert [r.payload["n"] for r in receiver.received] == [1, 2]


def test_exhausted_retries_fail_the_delivery_and_disable_the_endpoint(user_a, org_a, validated_invoice, endpoint,
                                                                      receiver, settings,
                                                                      django_capture_on_commit_callbacks):
    settings.WEBHOOK_RETRY_SCHEDULE = [1, 1]
    receiver.statuses[:] = [503] * 10
    with django_capture_on_commit_callbacks(execute=True):
        invoice_cancel(actor=user_a, invoice=validated_invoice)
    delivery = Delivery.objects.get(event="invoice.cancelled")
    assert (delivery.status, delivery.attempts, delivery.error_code) == (DeliveryStatus.FAILED, 3, "HTTP_ERROR")
    endpoint.refresh_from_db()
    assert not endpoint.is_active and str(delivery.pk) in endpoint.disabled_reason
    # and a disabled endpoint hears nothing more, until enabled again
    assert services.on_invoice_status_changed(validated_invoice, old=1, new=2, actor=user_a) is None
    assert Delivery.objects.filter(event="invoice.paid").count() == 0


def test_replay_sends_the_same_message_again(user_a, org_a, validated_invoice, endpoint, receiver,
                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invoice_cancel(actor=user_a, invoice=validated_invoice)
    original = Delivery.objects.get(event="invoice.cancelled")
    with django_capture_on_commit_callbacks(execute=True):
        replay = services.delivery_replay(actor=user_a, delivery=original)
    first, again = receiver.received[-2:]
    assert first.body == again.body and first.headers["webhook-id"] == again.headers["webhook-id"]
    assert Delivery.objects.get(pk=replay.pk).replay_of_id == original.pk


@pytest.mark.parametrize("url, code", [
    ("ftp://example.com/x", "INVALID_URL"), ("not a url", "INVALID_URL"),
    ("https://user:pw@example.com/", "INVALID_URL"),
    ("http://127.0.0.1:8000/", "TARGET_NOT_ALLOWED"), ("http://10.0.0.5/", "TARGET_NOT_ALLOWED"),
    ("http://169.254.169.254/latest/meta-data", "TARGET_NOT_ALLOWED"), ("http://[::1]/", "TARGET_NOT_ALLOWED"),
    ("http://localhost/", "TARGET_NOT_ALLOWED"),
])
def test_registration_refuses_bad_and_private_targets_outside_debug(user_a, org_a, settings, url, code):
    settings.DELIVERY_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(Exception) as raised:
        services.webhook_endpoint_create(actor=user_a, organization=org_a, url=url)
    assert errors_of(raised) == [("url", code)]
    assert not WebhookEndpoint.objects.exists()


def test_a_name_resolving_to_a_private_address_is_refused_when_sending(settings, monkeypatch):
    import socket

    from invoice.delivery.channels import ChannelError

    settings.DELIVERY_ALLOW_PRIVATE_TARGETS = False
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("192.168.1.7", 80))])
    with pytest.raises(ChannelError) as raised:
        webhook.post("http://rebind.example.com/hook", b"{}", {}, 1.0)
    assert raised.value.code == "TARGET_NOT_ALLOWED" and not raised.value.retryable


def test_unknown_events_are_refused(user_a, org_a, receiver):
    with pytest.raises(Exception) as raised:
        services.webhook_endpoint_create(actor=user_a, organization=org_a, url=receiver.url, events=["invoice.eaten"])
    assert errors_of(raised) == [("events", "UNKNOWN_EVENT")]
