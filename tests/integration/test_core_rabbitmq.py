"""core with the real RabbitMQ broker: /health reports it, and a message makes a round trip
through the Celery app's connection."""
from __future__ import annotations

import time
import uuid

import pytest
from django.conf import settings
from django.test import Client
from kombu import Exchange, Queue

from config.celery import app

pytestmark = pytest.mark.integration


def test_tasks_are_not_eager_with_a_broker():
    # given CELERY_BROKER_URL set (the integration run) / when / then
    assert settings.CELERY_BROKER_URL.startswith("amqp")
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    assert app.conf.task_always_eager is False


def test_health_reports_the_real_broker(db, settings, tmp_path):
    # given local files in a temporary folder
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }

    # when
    response = Client().get("/health")

    # then
    body = response.json()
    assert (response.status_code, body["status"]) == (200, "ok"), body
    assert {k: v for k, v in body["checks"]["broker"].items() if k not in {"ms", "transport"}} == {
        "ok": True, "mode": "broker"
    }
    assert "amqp" in body["checks"]["broker"]["transport"].lower()
    assert (body["checks"]["database"]["ok"], body["checks"]["database"]["vendor"]) == (True, "postgresql")


def test_publish_and_consume_round_trip_on_a_temporary_queue():
    # given a temporary queue on its own exchange
    name = f"test.core.roundtrip.{uuid.uuid4().hex}"
    exchange = Exchange(name, type="direct", durable=False, auto_delete=True)
    queue = Queue(name, exchange=exchange, routing_key=name, durable=False, auto_delete=True)
    payload = {"id": str(uuid.uuid4()), "amount": "12.50"}

    with app.connection_for_write() as conn:
        bound = queue(conn.default_channel)
        bound.declare()
        try:
            # when
            with conn.Producer() as producer:
                producer.publish(payload, exchange=exchange, routing_key=name, serializer="json",
                                 declare=[queue])
            message = None
            for _ in range(50):
                message = bound.get(no_ack=False)
                if message is not None:
                    break
                time.sleep(0.1)

            # then
            assert message is not None, "the message did not come back"
            assert message.decode() == payload
            assert message.content_type == "application/json"
            message.ack()
            assert bound.get() is None  # acked: nothing left
        finally:
            bound.delete()
