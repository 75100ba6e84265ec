"""RabbitMQ topology of the pipelines: each work queue dead-letters into its DLQ.

    invoice_documents  --(reject, requeue=False)-->  exchange invoice_documents.dlx
                                                 --> queue invoice_documents.dlq
    invoice_deliveries --(reject, requeue=False)-->  invoice_deliveries.dlx --> invoice_deliveries.dlq

Document generation uses the first (INVOICE_DOCUMENTS_QUEUE), delivery the second (DELIVERY_QUEUE).

A worker only declares the queues it consumes, so `declare_topology` is called by every side
that needs the DLQ to exist before a message can be dead-lettered: the producer (first enqueue of
the process), the worker (start-up step) and the DLQ monitor. Names come from settings so that
tests can use their own."""
from __future__ import annotations

import threading

from celery import current_app  # the project's app: config/__init__.py creates it
from django.conf import settings
from kombu import Exchange, Queue


def pipeline_queues() -> tuple[str, ...]:
    """The work queues: documents, deliveries."""
    return settings.INVOICE_DOCUMENTS_QUEUE, settings.DELIVERY_QUEUE


def names(queue: str | None = None) -> tuple[str, str, str]:
    queue = queue or settings.INVOICE_DOCUMENTS_QUEUE
    return queue, f"{queue}.dlx", f"{queue}.dlq"


def work_queue(queue: str | None = None) -> Queue:
    queue, dlx, dlq = names(queue)
    return Queue(
        queue, Exchange(queue, type="direct", durable=True), routing_key=queue, durable=True,
        queue_arguments={"x-dead-letter-exchange": dlx, "x-dead-letter-routing-key": dlq},
    )


def dead_letter_queue(queue: str | None = None) -> Queue:
    _queue, dlx, dlq = names(queue)
    return Queue(dlq, Exchange(dlx, type="direct", durable=True), routing_key=dlq, durable=True)


_declared: set[tuple[str, ...]] = set()
_lock = threading.Lock()


def declare_topology(connection=None, *, force: bool = False) -> None:
    """Declare every work queue, its dead-letter exchange and its DLQ (idempotent; once per
    process and set of queue names unless forced)."""
    queues = pipeline_queues()
    if settings.CELERY_TASK_ALWAYS_EAGER or (queues in _declared and not force):
        return

    with _lock:
        if connection is not None:
            _declare(connection.default_channel)
        else:
            with current_app.connection_for_write() as conn:
                _declare(conn.default_channel)
        _declared.add(queues)


def _declare(channel) -> None:
    for queue in pipeline_queues():
        dead_letter_queue(queue)(channel).declare()
        work_queue(queue)(channel).declare()


def give_up(task, row_id: str, *, code: str, message: str, fail, what: str, logger) -> str:
    """The end of a task that will not succeed: reject its message to the dead-letter queue, whose
    consumer calls `fail` (invoice.dlq); in eager mode (no broker, no DLQ) call `fail` here."""
    from celery.exceptions import Reject

    if task.request.is_eager:
        fail(row_id, code=code, message=message, source="eager")
        return "failed"
    logger.error("%s %s: giving up (%s), dead-lettering", what, row_id, code)
    raise Reject(f"{code}: {message}", requeue=False)


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
