"""The chaos drill, CI size (bench/chaos.py is the full size): 40 document requests while a worker
is SIGKILLed, RabbitMQ is stopped and started (stop_app/start_app) and 20 % of S3 calls fail behind
the fault-injecting proxy. No request may be lost, no document duplicated, orphaned or corrupted,
no invoice number skipped. Plus the race a duplicate delivery can cause: two runs of one document
at the same time must leave in S3 the bytes whose checksum the row records."""
from __future__ import annotations

import hashlib
import threading
import uuid
import warnings
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.db import connection

from bench.chaos import rabbitmq_unusable_reason, run_drill
from invoice import storage
from invoice.constants import DocumentStatus
from invoice.models import InvoiceDocument
from invoice.services import documents
from invoice.services.invoices import invoice_create, invoice_validate
from invoice.services.lines import line_add
from tests.helpers import pipeline
from tests.invoice.helpers import buyer_data

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_chaos_drill_loses_nothing(org_a, user_a, tmp_path):
    # given: the real services, and RabbitMQ on this machine to restart
    assert connection.vendor == "postgresql"
    assert not django_settings.CELERY_TASK_ALWAYS_EAGER, "the chaos drill needs CELERY_BROKER_URL (RabbitMQ)"
    unusable = rabbitmq_unusable_reason(django_settings.CELERY_BROKER_URL)
    if unusable:  # only the broker restart is left out; the kills and S3 faults still run
        warnings.warn(pytest.PytestWarning(f"chaos drill without the RabbitMQ restart: {unusable}"))
    # when
    figures = run_drill(organization=org_a, actor=user_a, requests=40, kills=1, rabbit_restarts=0 if unusable else 1,
                        fault_rate=0.2, seed=7, log_dir=tmp_path, outage=4.0, quiet=5.0, timeout=60.0)
    # then
    print("\n" + figures.report())
    assert figures.broken == [], figures.report()
    assert figures.kills == 1 and figures.s3_faults > 0
    assert figures.stuck_pending == 0 and figures.created + figures.failed == 40
    assert figures.duplicate_objects == figures.orphan_objects == figures.missing_objects == 0
    assert figures.checksum_mismatches == 0 and figures.numbers_gap_free
    if not unusable:
        assert figures.rabbit_restarts == 1
        # requests kept coming during the outage: their enqueue on commit failed, the request did
        # not (request_errors == 0), and only the reaper could send them, so it did
        assert figures.issued_during_outage > 0 and figures.enqueue_failures > 0
        assert figures.reaped > 0


def test_delivery_drill_sends_everything_once(org_a, user_a, tmp_path, caplog):
    """CI size of bench/delivery_chaos.py: 40 created documents × e-mail, webhook and SFTP while a
    worker is SIGKILLed and every receiver fails 20 % of what it gets."""
    from bench.delivery_chaos import run_delivery_drill

    figures = run_delivery_drill(organization=org_a, actor=user_a, documents=40, kills=1, fault_rate=0.2, seed=7,
                                 log_dir=tmp_path, timeout=180.0)
    print("\n" + figures.report())
    assert figures.broken == [], figures.report()
    assert figures.created == 40 and figures.kills == 1
    assert sum(figures.deliveries.values()) == 120 and figures.queued_left == 0
    assert all(figures.faults[channel] > 0 for channel in ("email", "webhook", "sftp"))
    assert figures.duplicates == 0


def test_two_concurrent_runs_of_one_document_store_the_bytes_of_its_checksum(s3_server, settings, monkeypatch,
                                                                          org_a, user_a):
    """A message delivered twice (redelivered after a broker connection loss while its first run
    goes on, or re-enqueued by the reaper while still queued) runs twice at the same time. PDF
    renders differ from run to run (the document /ID), so if the second run's upload lands after
    the first run's and the first run records its checksum, the row would describe bytes that are
    no longer stored."""
    # given: a PDF document and an S3 bucket
    bucket = f"race-{uuid.uuid4().hex[:10]}"
    s3 = pipeline.s3_client(s3_server)
    s3.create_bucket(Bucket=bucket)
    settings.STORAGE_BACKEND = "s3"
    settings.STORAGES = pipeline.storages_for(s3_server, bucket)
    monkeypatch.setattr(documents, "enqueue", lambda document_id: None)
    invoice = invoice_create(actor=user_a, organization=org_a, data=buyer_data(org_a))
    line_add(actor=user_a, invoice=invoice, data={"description": "Avis de décès", "quantity": Decimal(1),
                                                  "unit_price": Decimal("89.00")})
    invoice = invoice_validate(actor=user_a, invoice=invoice)
    document = documents.document_request(actor=user_a, organization=org_a, invoice=invoice, fmt="pdf")
    # and an upload order forced to the worst case: the second upload lands before the first run
    # records its checksum, if the pipeline lets it
    real_store, order, lock = storage.store, [], threading.Lock()
    first_stored, second_stored = threading.Event(), threading.Event()

    def store(key, content, content_type, sha256):
        with lock:
            order.append(threading.current_thread().name)
            first = len(order) == 1
        if not first:
            first_stored.wait(5)
        url = real_store(key, content, content_type, sha256)
        if first:
            first_stored.set()
            second_stored.wait(2)
        else:
            second_stored.set()
        return url

    monkeypatch.setattr(storage, "store", store)
    errors = []

    def run():
        try:
            documents.document_generate(document.pk)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    # when: two runs of the same document at the same time
    threads = [threading.Thread(target=run, name=f"run-{index}") for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # then: created once, and the stored bytes are those of the recorded checksum
    assert errors == []
    row = InvoiceDocument.objects.get(pk=document.pk)
    assert row.status == DocumentStatus.CREATED and row.attempts == 2
    stored = s3.get_object(Bucket=bucket, Key=row.storage_key)
    content = stored["Body"].read()
    assert hashlib.sha256(content).hexdigest() == row.checksum
    assert stored["Metadata"]["sha256"] == row.checksum and len(content) == row.size
