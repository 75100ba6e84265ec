"""Fixtures of the integration tests."""
from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import connection

from invoice import queues
from invoice.services.invoices import invoice_create, invoice_validate
from invoice.services.lines import line_add
from tests.helpers import pipeline
from tests.helpers.parties import make_conformant_buyer, make_conformant_seller


@pytest.fixture(scope="module")
def s3_server():
    """An S3 endpoint: moto in server mode on a free loopback port, for the module's tests."""
    from moto.server import ThreadedMotoServer

    port = pipeline.free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def queue(settings):
    """A throwaway document queue (and its DLQ) on the real RabbitMQ, deleted afterwards; the test
    runs on PostgreSQL with tasks published, not eager."""
    assert connection.vendor == "postgresql"
    assert not settings.CELERY_TASK_ALWAYS_EAGER, "integration tests need CELERY_BROKER_URL (RabbitMQ)"
    name = f"it_documents_{uuid.uuid4().hex[:10]}"
    settings.INVOICE_DOCUMENTS_QUEUE = name
    settings.DELIVERY_QUEUE = pipeline.delivery_queue_of(name)
    yield name
    queues.delete_topology(name)
    queues.delete_topology(settings.DELIVERY_QUEUE)


@pytest.fixture
def bucket(s3_server, settings):
    name = f"it-{uuid.uuid4().hex[:12]}"
    pipeline.s3_client(s3_server).create_bucket(Bucket=name)
    settings.STORAGE_BACKEND = "s3"
    settings.STORAGES = pipeline.storages_for(s3_server, name)
    return name


@pytest.fixture
def workers(tmp_path):
    started: list[pipeline.Worker] = []

    def start(queue: str, **env) -> pipeline.Worker:
        worker = pipeline.Worker(queue, env, tmp_path / f"worker-{len(started)}.log").start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def issued_invoice(org_a, user_a):
    """Its XML and Factur-X pass the schematrons: a complete seller and buyer."""
    buyer = make_conformant_buyer(make_conformant_seller(org_a))
    invoice = invoice_create(actor=user_a, organization=org_a, data={
        "note": "Pompes funèbres Léa Çelik", "thirdparty_type": "operator", "thirdparty_id": str(buyer.pk)})
    for index in range(3):
        line_add(actor=user_a, invoice=invoice, data={"description": f"Avis de décès n°{index}",
                                                      "quantity": Decimal(1), "unit_price": Decimal("89.00")})
    return invoice_validate(actor=user_a, invoice=invoice)
