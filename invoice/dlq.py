"""The dead-letter queue consumer: every message there is a document that will not be
generated, or a delivery that will not be made. It marks the row failed
(invoice.services.documents.document_fail, invoice.delivery.services.delivery_fail), which writes
a WARNING event, logs an ERROR alert and counts the failure. Runs in `manage.py dlq_monitor` and,
unless INVOICE_DLQ_IN_WORKER=0, inside every Celery worker."""
from __future__ import annotations

import json
import logging

from kombu import Consumer

from invoice.queues import dead_letter_queue, pipeline_queues

DELIVERY_TASK = "invoice.deliver"

logger = logging.getLogger("molink.dlq")


def document_id_of(body, headers: dict) -> str | None:
    """The document id from a Celery (protocol 2) task message: body = [args, kwargs, embed]."""
    if isinstance(body, (bytes, str)):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    if isinstance(body, (list, tuple)) and body and isinstance(body[0], (list, tuple)) and body[0]:
        return str(body[0][0])
    if isinstance(body, dict):
        args = body.get("args") or []
        return str(args[0]) if args else None
    return None


def reason_of(headers: dict) -> str:
    deaths = (headers or {}).get("x-death") or []
    if deaths:
        death = deaths[0]
        return f"dead-lettered from {death.get('queue')} ({death.get('reason')}, count {death.get('count')})"
    return "dead-lettered"


def handle_dead_letter(body, message) -> None:
    from django.db import close_old_connections

    from invoice.delivery.services import delivery_fail
    from invoice.services.documents import document_fail

    close_old_connections()
    headers = dict(message.headers or {})
    document_id = document_id_of(body, headers)  # or the delivery's id: both tasks take one id
    try:
        if document_id is None:
            logger.error("ALERT unreadable message in a dead-letter queue (task %s)", headers.get("task"))
        elif headers.get("task") == DELIVERY_TASK:
            delivery_fail(document_id, source="dlq")
            logger.info("delivery %s marked failed (%s)", document_id, reason_of(headers))
        else:
            # The row holds the last error; the broker only knows that it was rejected.
            document_fail(document_id, source="dlq", message=None)
            logger.info("document %s marked failed (%s)", document_id, reason_of(headers))
    except Exception:
        logger.exception("could not process dead letter for document %s; it stays in the DLQ", document_id)
        message.requeue()
        return
    message.ack()


def dead_letter_consumer(channel) -> Consumer:
    return Consumer(channel, queues=[dead_letter_queue(queue) for queue in pipeline_queues()], callbacks=[handle_dead_letter], accept=["json"],
                    prefetch_count=10)
