"""POST /v2/invoices under real concurrency (PostgreSQL, RabbitMQ): five clients ask for the same
operator and period at once → one invoice, each order billed once, every answer carries the same
document. No worker consumes the throwaway queue: the rows stay pending, which is all this needs."""
from __future__ import annotations

import json

import pytest
from django.test import Client

from invoice.models import Invoice, InvoiceDocument
from payment_module.models import Order
from tests.api.conftest import bearer, body, make_billing
from tests.helpers.concurrency import run_together

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("idempotency_key", [None, "same-key"])
def test_five_parallel_posts_bill_once_and_answer_the_same_document(queue, org_a, user_a, idempotency_key):
    # given
    billing = make_billing(org_a, user_a)
    headers = bearer(user_a)
    if idempotency_key:
        headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
    payload = json.dumps(body(billing.operator))
    count = 5

    def post(index: int):
        response = Client().post("/v2/invoices", data=payload, content_type="application/json", **headers)
        return response.status_code, response.json()

    # when
    results = run_together(count, post)

    # then
    answers = [value if kind == "ok" else ("error", repr(value)) for kind, value in results]
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * (count - 1) + [202], answers
    assert len({row["id"] for _, row in answers}) == 1, answers
    assert Invoice.objects.filter(organization=org_a).count() == 1
    assert InvoiceDocument.objects.filter(organization=org_a).count() == 1
    lines = [Order.objects.get(pk=order.pk).invoice_line_id for order in billing.orders]
    assert all(lines) and len(set(lines)) == len(billing.orders)
