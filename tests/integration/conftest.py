"""Fixtures of the integration tests."""
from __future__ import annotations

import uuid

import pytest
from django.db import connection

from invoice import queues
from tests.helpers import pipeline


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
