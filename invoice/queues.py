"""RabbitMQ topology of document generation: the work queue dead-letters into a DLQ.

    invoice_documents  --(reject, requeue=False)-->  exchange invoice_documents.dlx
                                                 --> queue invoice_documents.dlq

A worker only declares the queues it consumes, so `declare_topology` is called by every side
that needs the DLQ to exist before a message can be dead-lettered: the producer (first enqueue of
the process), the worker (start-up step) and the DLQ monitor. Names come from settings so that
tests can use their own."""
from __future__ import annotations

import threading

from celery import current_app  # the project's app: config/__init__.py creates it
from django.conf import settings
from kombu import Exchange, Queue


def names() -> tuple[str, str, str]:
    queue = settings.INVOICE_DOCUMENTS_QUEUE
    return queue, f"{queue}.dlx", f"{queue}.dlq"


def work_queue() -> Queue:
    queue, dlx, dlq = names()
    return Queue(
        queue, Exchange(queue, type="direct", durable=True), routing_key=queue, durable=True,
        queue_arguments={"x-dead-letter-exchange": dlx, "x-dead-letter-routing-key": dlq},
    )


def dead_letter_queue() -> Queue:
    _queue, dlx, dlq = names()
    return Queue(dlq, Exchange(dlx, type="direct", durable=True), routing_key=dlq, durable=True)


_declared: set[str] = set()
_lock = threading.Lock()


def declare_topology(connection=None, *, force: bool = False) -> None:
    """Declare the work queue, the dead-letter exchange and the DLQ (idempotent; once per
    process and queue name unless forced)."""
    queue = settings.INVOICE_DOCUMENTS_QUEUE
    if settings.CELERY_TASK_ALWAYS_EAGER or (queue in _declared and not force):
        return

    with _lock:
        if connection is not None:
            _declare(connection.default_channel)
        else:
            with current_app.connection_for_write() as conn:
                _declare(conn.default_channel)
        _declared.add(queue)


def _declare(channel) -> None:
    dead_letter_queue()(channel).declare()
    work_queue()(channel).declare()


def queue_depth(name: str) -> int:
    """Messages ready in queue `name` (raises if it does not exist): the DLQ alert's and the
    drills' reading."""

    with current_app.connection_for_write() as conn:
        _name, count, _consumers = conn.default_channel.queue_declare(queue=name, passive=True)
        return count


def delete_topology(queue: str) -> None:
    """Delete the work queue `queue`, its DLQ and both exchanges (throwaway queues of tests and
    drills); what is already gone is skipped."""

    with current_app.connection_for_write() as conn:
        channel = conn.default_channel
        deletions = [("queue_delete", queue), ("queue_delete", f"{queue}.dlq"),
                     ("exchange_delete", queue), ("exchange_delete", f"{queue}.dlx")]
        for method, name in deletions:
            try:
                getattr(channel, method)(name)
            except Exception:  # noqa: BLE001 - already gone: the broker closed the channel, open another
                channel = conn.channel()
