"""The document pipeline on the real services: a Celery worker process on RabbitMQ, S3 served by
moto in server mode, PostgreSQL. Request → pending → created with the right bytes; S3 down →
3 retries → DLQ → failed; worker SIGKILLed mid-task → redelivered, one file, created once."""
from __future__ import annotations

import hashlib
import urllib.request

import pytest
from django.db import connection

from core import metrics
from invoice import queues
from invoice.constants import DocumentStatus, EventType
from invoice.models import InvoiceDocument, InvoiceEvent
from invoice.services import documents
from tests.helpers import pipeline

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def reload(document) -> InvoiceDocument:
    return InvoiceDocument.objects.get(pk=document.pk)


def test_request_is_generated_by_a_real_worker_into_s3(s3_server, bucket, queue, workers, issued_invoice, user_a, org_a):
    # given
    workers(queue, **pipeline.s3_env(s3_server, bucket))
    # when
    document = documents.document_request(actor=user_a, organization=org_a, invoice=issued_invoice, fmt="json")
    # then
    assert document.status == DocumentStatus.PENDING and document.url is None
    done = pipeline.wait_for(lambda: reload(document).status == DocumentStatus.CREATED and reload(document),
                             what="the document to be created")
    stored = pipeline.s3_client(s3_server).get_object(Bucket=bucket, Key=done.storage_key)
    content = stored["Body"].read()
    assert hashlib.sha256(content).hexdigest() == done.checksum
    assert stored["Metadata"]["sha256"] == done.checksum
    assert stored["ContentType"] == "application/json"
    assert done.size == len(content) and done.attempts == 1
    assert done.storage_key == f"org/{org_a.pk}/invoices/{issued_invoice.date_invoice.year}/{issued_invoice.code}.json"
    assert done.url == f"s3://{bucket}/{done.storage_key}"
    # and the short-lived download URL serves the same bytes
    from invoice.services.downloads import download_url

    with urllib.request.urlopen(download_url(done)) as response:
        assert response.read() == content


def test_storage_down_retries_three_times_then_dead_letters_and_fails(queue, workers, issued_invoice, user_a, org_a, bucket):
    # given: S3 unreachable, DLQ left to the monitor so its depth can be checked
    closed_port = pipeline.free_port()
    workers(queue, **pipeline.s3_env(f"http://127.0.0.1:{closed_port}", bucket), INVOICE_DOCUMENT_RETRY_BACKOFF="0.1",
            INVOICE_DLQ_IN_WORKER="0")
    # when
    document = documents.document_request(actor=user_a, organization=org_a, invoice=issued_invoice, fmt="json")
    # then: 1 run + 3 retries, then one message in the DLQ
    pipeline.wait_for(lambda: queues.queue_depth(f"{queue}.dlq") == 1, what="the message to reach the DLQ")
    row = reload(document)
    assert row.status == DocumentStatus.PENDING
    assert row.attempts == 4
    assert row.error_code == "STORAGE_UNAVAILABLE"
    assert queues.queue_depth(queue) == 0
    # when: the DLQ monitor drains it
    result = pipeline.run_manage(["dlq_monitor", "--drain", "--timeout", "2"], {"INVOICE_DOCUMENTS_QUEUE": queue, "DELIVERY_QUEUE": pipeline.delivery_queue_of(queue)})
    # then
    assert result.returncode == 0, result.stderr
    row = reload(document)
    assert row.status == DocumentStatus.FAILED
    assert row.error_code == "STORAGE_UNAVAILABLE" and "while storing" in row.error_message
    warning = InvoiceEvent.objects.get(invoice=issued_invoice, event_type=EventType.WARNING)
    assert "after 4 attempt(s)" in warning.message
    assert "ALERT" in result.stderr and str(document.pk) in result.stderr
    assert metrics.value("molink_invoice_documents_failed_total", {"format": "json", "source": "dlq"}) == 1
    assert queues.queue_depth(f"{queue}.dlq") == 0


def test_worker_killed_mid_task_redelivers_and_creates_once(s3_server, bucket, queue, workers, issued_invoice, user_a, org_a):
    # given: a worker whose S3 hangs, so the task is stuck mid-way (after its run was counted)
    hole = pipeline.BlackHole()
    try:
        stuck = workers(queue, **pipeline.s3_env(f"http://127.0.0.1:{hole.port}", bucket))
        document = documents.document_request(actor=user_a, organization=org_a, invoice=issued_invoice, fmt="json")
        pipeline.wait_for(lambda: reload(document).attempts == 1 and hole.clients, what="the task to be mid-way")
        # when
        stuck.kill()
    finally:
        hole.close()
    workers(queue, **pipeline.s3_env(s3_server, bucket))
    # then: redelivered, created once, one object
    done = pipeline.wait_for(lambda: reload(document).status == DocumentStatus.CREATED and reload(document),
                             what="the redelivered document to be created")
    assert done.attempts == 2
    listing = pipeline.s3_client(s3_server).list_objects_v2(Bucket=bucket, Prefix=f"org/{org_a.pk}/")
    assert [obj["Key"] for obj in listing.get("Contents", [])] == [done.storage_key]
    assert InvoiceDocument.objects.filter(invoice=issued_invoice).count() == 1
    assert metrics.value("molink_invoice_documents_created_total", {"format": "json"}) == 1


def _other_backends() -> set[int]:
    """PostgreSQL backends on the test database other than this test's own connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return {pid for (pid,) in cursor.fetchall()}


def test_worker_keeps_its_database_connection_and_replaces_a_broken_one(
        s3_server, bucket, queue, workers, org_a, user_a, issued_invoice):
    # given: a worker that has generated one document
    workers(queue, **pipeline.s3_env(s3_server, bucket))
    created = lambda document: reload(document).status == DocumentStatus.CREATED and reload(document)
    first = documents.document_request(actor=user_a, organization=org_a, invoice=issued_invoice, fmt="json")
    pipeline.wait_for(lambda: created(first), what="the first document")
    after_first = _other_backends()
    # when: a second one
    second = documents.document_request(actor=user_a, organization=org_a, invoice=issued_invoice, fmt="xml")
    pipeline.wait_for(lambda: created(second), what="the second document")
    # then: the same backend served it (no new connection per task: CELERY_DB_REUSE_MAX)
    assert after_first and after_first & _other_backends(), (after_first, _other_backends())
    # when: PostgreSQL drops the worker's connections (a restart, a failover, an idle timeout)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    third = documents.document_request(actor=user_a, organization=org_a, invoice=issued_invoice, fmt="pdf")
    # then: the next task checks the connection, reconnects and succeeds at its first run
    done = pipeline.wait_for(lambda: created(third), what="the document after the connections were dropped")
    assert done.attempts == 1 and done.error_code == ""


def test_a_file_that_breaks_a_schematron_rule_fails_and_nothing_is_stored(
        s3_server, bucket, queue, workers, org_a, user_a, issued_invoice):
    # given: a worker, and the Factur-X of an invoice that passes both schematrons
    from payment_module.models import Operator

    workers(queue, **pipeline.s3_env(s3_server, bucket))
    s3 = pipeline.s3_client(s3_server)
    good = documents.document_request(actor=user_a, organization=org_a, invoice=issued_invoice, fmt="facturx")
    good = pipeline.wait_for(lambda: reload(good).status == DocumentStatus.CREATED and reload(good),
                             timeout=120, what="the conformant Factur-X to be created")
    assert [obj["Key"] for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", [])] == [good.storage_key]
    # when: the buyer's e-mail (BT-49, the French rules' electronic address) is gone before its XML is made
    Operator.objects.filter(pk=issued_invoice.thirdparty_id).update(email="")
    bad = documents.document_request(actor=user_a, organization=org_a, invoice=issued_invoice, fmt="xml")
    # then: refused at once (no retry), dead-lettered, failed by the worker's DLQ consumer; nothing stored
    bad = pipeline.wait_for(lambda: reload(bad).status == DocumentStatus.FAILED and reload(bad),
                            timeout=120, what="the document to fail")
    assert bad.error_code == "SCHEMATRON_INVALID"
    assert "BR-FR-12_BT-49" in bad.error_message.split(": ", 1)[0].split(", ")
    assert bad.attempts == 1 and (bad.url, bad.storage_key) == (None, "")
    assert [obj["Key"] for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", [])] == [good.storage_key]
    warning = InvoiceEvent.objects.get(invoice=issued_invoice, event_type=EventType.WARNING)
    assert "SCHEMATRON_INVALID" in warning.message
    assert queues.queue_depth(queue) == 0 and queues.queue_depth(f"{queue}.dlq") == 0
