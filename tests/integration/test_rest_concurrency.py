"""POST /v2/invoices under real concurrency (PostgreSQL, RabbitMQ): five clients ask for the same
operator and period at once → one invoice, each order billed once, every answer carries the same
document. No worker consumes the throwaway queue: the rows stay pending, which is all this needs."""
from __future__ import annotations

import json
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client

from invoice.models import Invoice, InvoiceDocument
from payment_module.models import Order
from tests.api.conftest import bearer, body, make_billing
from tests.helpers import pipeline

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue(settings):
    assert connection.vendor == "postgresql"
    assert not settings.CELERY_TASK_ALWAYS_EAGER, "integration tests need CELERY_BROKER_URL (RabbitMQ)"
    name = f"test_rest_{uuid.uuid4().hex[:12]}"
    settings.INVOICE_DOCUMENTS_QUEUE = name
    yield name
    pipeline.delete_queues(name)


@pytest.mark.parametrize("idempotency_key", [None, "same-key"])
def test_five_parallel_posts_bill_once_and_answer_the_same_document(queue, org_a, user_a, idempotency_key):
    # given
    billing = make_billing(org_a, user_a)
    headers = bearer(user_a)
    if idempotency_key:
        headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
    payload = json.dumps(body(billing.operator))
    count = 5
    barrier = threading.Barrier(count, timeout=30)
    answers: list = [None] * count

    def worker(index: int) -> None:
        try:
            client = Client()
            barrier.wait()
            response = client.post("/v2/invoices", data=payload, content_type="application/json", **headers)
            answers[index] = (response.status_code, response.json())
        except BaseException as exc:  # noqa: BLE001 - reported below
            answers[index] = ("error", repr(exc))
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then
    assert not any(thread.is_alive() for thread in threads), "a request is still running (deadlock?)"
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * (count - 1) + [202], answers
    assert len({row["id"] for _, row in answers}) == 1, answers
    assert Invoice.objects.filter(organization=org_a).count() == 1
    assert InvoiceDocument.objects.filter(organization=org_a).count() == 1
    lines = [Order.objects.get(pk=order.pk).invoice_line_id for order in billing.orders]
    assert all(lines) and len(set(lines)) == len(billing.orders)
