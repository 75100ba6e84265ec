"""Delivery on the real services: a Celery worker process on RabbitMQ, S3 served by moto, PostgreSQL,
and real receivers started by the tests — an SMTP server (aiosmtpd), an HTTP webhook receiver and
an SFTP server (asyncssh), on loopback.

- e-mail: the message arrives with the document's exact bytes attached; SMTP down → retries →
  DLQ → failed with the reason; the same task delivered twice sends one mail;
- webhooks: signed, in order per invoice, retried on 500, nothing lost across a worker SIGKILL;
- SFTP: the file lands under its final name, bytes equal to the stored document."""
from __future__ import annotations

import threading
import time

import pytest

from invoice import queues
from invoice.constants import DocumentStatus, EventType
from invoice.delivery import services
from invoice.delivery.channels import webhook
from invoice.delivery.models import Delivery, DeliveryStatus
from invoice.models import InvoiceDocument, InvoiceEvent
from invoice.services import documents
from invoice.services.payments import payment_record
from tests.helpers import pipeline
from tests.invoice.delivery.servers import SftpServer, SmtpServer, WebhookReceiver

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def smtp_env(server) -> dict:
    return {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(server.port if server else pipeline.free_port())}


def created(document) -> InvoiceDocument:
    return pipeline.wait_for(lambda: (row := InvoiceDocument.objects.get(pk=document.pk)).status
                             == DocumentStatus.CREATED and row, what="the document to be created")


def finished(delivery_filter, count: int = 1, timeout: float = 60) -> list[Delivery]:
    def done():
        rows = list(Delivery.objects.filter(**delivery_filter).order_by("date_created"))
        return len(rows) == count and all(row.status != DeliveryStatus.QUEUED for row in rows) and rows
    return pipeline.wait_for(done, timeout=timeout, what=f"{count} deliveries {delivery_filter} to finish")


def test_a_created_document_is_mailed_by_the_worker_with_its_bytes(s3_server, bucket, queue, workers, issued_invoice,
                                                                   user_a, org_a):
    # given
    services.delivery_settings_update(actor=user_a, organization=org_a, changes={"email_mode": "automatic"})
    with SmtpServer() as smtp:
        workers(queue, **pipeline.s3_env(s3_server, bucket), **smtp_env(smtp))
        # when
        document = documents.document_request(actor=user_a, organization=org_a, invoice=issued_invoice, fmt="json")
        document = created(document)
        [delivery] = finished({"document": document})
    # then
    assert delivery.status == DeliveryStatus.SENT, delivery.error_message
    [message] = smtp.messages
    stored = pipeline.s3_client(s3_server).get_object(Bucket=bucket, Key=document.storage_key)["Body"].read()
    [attachment] = [part for part in message.walk() if part.get_filename()]
    assert attachment.get_filename() == f"{issued_invoice.code}.json"
    assert attachment.get_payload(decode=True) == stored
    assert message["Message-ID"] == delivery.provider_message_id
    assert message["To"] == issued_invoice.thirdparty.email


def test_smtp_down_retries_then_dead_letters_and_fails_with_the_reason(s3_server, bucket, queue, workers,
                                                                       issued_invoice, user_a, org_a):
    # given: nothing listens on the SMTP port
    workers(queue, **pipeline.s3_env(s3_server, bucket), **smtp_env(None), DELIVERY_RETRY_BACKOFF="0.2", DELIVERY_MAX_RETRIES="2")
    document = created(documents.document_request(actor=user_a, organization=org_a, invoice=issued_invoice, fmt="json"))
    # when
    [delivery] = services.send_document(actor=user_a, organization=org_a, document=document)
    [delivery] = finished({"pk": delivery.pk})
    # then: 1 try + 2 retries, rejected to the DLQ, failed by its consumer (in the worker)
    assert (delivery.status, delivery.attempts, delivery.error_code) == (DeliveryStatus.FAILED, 3, "SMTP_UNAVAILABLE")
    assert list(delivery.attempt_log.values_list("outcome", flat=True)) == ["retry", "retry", "failed"]
    warning = InvoiceEvent.objects.get(invoice=issued_invoice, event_type=EventType.WARNING)
    assert "SMTP_UNAVAILABLE" in warning.message
    assert queues.queue_depth(f"{pipeline.delivery_queue_of(queue)}.dlq") == 0


def test_the_same_delivery_message_twice_sends_one_mail(s3_server, bucket, queue, workers, issued_invoice,
                                                        user_a, org_a, settings):
    with SmtpServer() as smtp:
        workers(queue, **pipeline.s3_env(s3_server, bucket), **smtp_env(smtp))
        document = created(documents.document_request(actor=user_a, organization=org_a, invoice=issued_invoice,
                                                      fmt="json"))
        [delivery] = services.send_document(actor=user_a, organization=org_a, document=document)
        # when: a second message of the same delivery (a redelivery)
        services.enqueue(delivery.pk)
        finished({"pk": delivery.pk})
        time.sleep(2)  # let the duplicate run
    assert len(smtp.messages) == 1
    assert Delivery.objects.get(pk=delivery.pk).attempt_log.count() == 1


def test_webhooks_arrive_signed_in_order_retried_and_survive_a_worker_kill(s3_server, bucket, queue, workers,
                                                                           issued_invoice, user_a, org_a, tmp_path):
    # given: a receiver that fails the first post, then hangs the next one long enough to kill the worker
    hang = threading.Event()
    with WebhookReceiver() as receiver:
        endpoint, secret = services.webhook_endpoint_create(actor=user_a, organization=org_a, url=receiver.url,
                                                            events=["invoice.paid"])
        receiver.statuses[:] = [500]
        original = receiver.server.RequestHandlerClass.do_POST

        def slow_second(handler):
            if len(receiver.received) == 1 and not hang.is_set():
                hang.set()
                time.sleep(4)
            original(handler)

        receiver.server.RequestHandlerClass.do_POST = slow_second
        env = {**pipeline.s3_env(s3_server, bucket), "WEBHOOK_RETRY_SCHEDULE": "0.2,0.2,0.2", "DELIVERY_LEASE": "3"}
        worker = workers(queue, **env)
        # when: the invoice is paid
        payment_record(actor=user_a, invoice=issued_invoice, data={"amount_payed": issued_invoice.amount_total,
                                                                   "code_ext": "VIR-IT-1"})
        pipeline.wait_for(hang.is_set, what="the retry to be under way")
        worker.kill()
        workers(queue, **env)
        # the dispatcher (beat) sends what a crash left behind once its lease has run out
        deadline = time.time() + 60
        while time.time() < deadline and Delivery.objects.filter(status=DeliveryStatus.QUEUED).exists():
            services.dispatch_due_deliveries()
            time.sleep(1)
        [delivery] = finished({"webhook_endpoint": endpoint})
    # then: sent; every post signed with the one webhook-id of the event
    assert delivery.status == DeliveryStatus.SENT, delivery.error_message
    assert all(webhook.verify(secret, r.headers, r.body) for r in receiver.received)
    assert {r.headers["webhook-id"] for r in receiver.received} == {delivery.provider_message_id}
    assert receiver.received[-1].payload["type"] == "invoice.paid"


def test_a_created_document_is_uploaded_by_sftp(s3_server, bucket, queue, workers, issued_invoice, user_a, org_a,
                                               tmp_path):
    with SftpServer(tmp_path / "sftp") as server:
        services.sftp_destination_set(actor=user_a, organization=org_a, data={
            "host": "127.0.0.1", "port": server.port, "username": server.user, "password": server.password,
            "host_key": server.host_key_line, "remote_folder": "/in/{year}"})
        workers(queue, **pipeline.s3_env(s3_server, bucket))
        document = created(documents.document_request(actor=user_a, organization=org_a, invoice=issued_invoice,
                                                      fmt="json"))
        [delivery] = finished({"document": document, "channel": "sftp"})
    assert delivery.status == DeliveryStatus.SENT, delivery.error_message
    landed = server.root / "in" / str(issued_invoice.date_invoice.year) / f"{issued_invoice.code}.json"
    stored = pipeline.s3_client(s3_server).get_object(Bucket=bucket, Key=document.storage_key)["Body"].read()
    assert landed.read_bytes() == stored


def test_the_events_of_one_invoice_arrive_in_order_though_the_first_is_retried(s3_server, bucket, queue, workers,
                                                                               user_a, org_a):
    from invoice.services.invoices import invoice_create, invoice_validate
    from invoice.services.lines import line_add
    from tests.helpers.parties import make_conformant_buyer, make_conformant_seller

    # given: an endpoint whose first two answers are 500, a worker with short retries
    with WebhookReceiver() as receiver:
        endpoint, secret = services.webhook_endpoint_create(actor=user_a, organization=org_a, url=receiver.url,
                                                            events=["invoice.validated", "invoice.paid"])
        receiver.statuses[:] = [500, 500]
        workers(queue, **pipeline.s3_env(s3_server, bucket), WEBHOOK_RETRY_SCHEDULE="0.5,0.5,0.5")
        buyer = make_conformant_buyer(make_conformant_seller(org_a))
        draft = invoice_create(actor=user_a, organization=org_a, data={"thirdparty_type": "operator",
                                                                       "thirdparty_id": str(buyer.pk)})
        line_add(actor=user_a, invoice=draft, data={"description": "Avis de décès", "quantity": 1,
                                                    "unit_price": "89.00"})
        # when: validated, then paid at once (the paid event is queued while validated is retried)
        invoice = invoice_validate(actor=user_a, invoice=draft)
        payment_record(actor=user_a, invoice=invoice, data={"amount_payed": invoice.amount_total, "code_ext": "VIR-2"})
        finished({"webhook_endpoint": endpoint}, count=2)
    # then: validated (after two 500s) strictly before paid, each signed
    answered = [r.payload["type"] for r in receiver.received if r.status == 200]
    assert [r.payload["type"] for r in receiver.received] == ["invoice.validated"] * 3 + ["invoice.paid"]
    assert answered == ["invoice.validated", "invoice.paid"]
    assert all(webhook.verify(secret, r.headers, r.body) for r in receiver.received)
