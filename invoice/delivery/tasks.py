"""Celery tasks of delivery: interfaces over invoice.delivery.services."""
from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from invoice.delivery import services
from invoice.queues import give_up

logger = logging.getLogger("molink.delivery")


@shared_task(name="invoice.deliver", bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def deliver(self, delivery_id: str) -> str:
    """One try of a delivery. A try that may succeed later is retried after its backoff (or left
    on the row for the dispatcher when the wait is long); the last one, or a try that cannot
    succeed, rejects the message to the dead-letter queue, whose consumer fails the row
    (invoice.dlq). In eager mode (no broker) it fails the row here."""
    try:
        delivery = services.delivery_attempt(delivery_id)
        return delivery.status if delivery is not None else "skipped"
    except services.DeliveryRetry as exc:
        if exc.countdown is None:
            logger.warning("delivery %s: %s, next try from the dispatcher", delivery_id, exc)
            return "scheduled"
        logger.warning("delivery %s: %s, retry in %.1fs", delivery_id, exc, exc.countdown)
        raise self.retry(exc=exc, countdown=exc.countdown) from None
    except (OperationalError, InterfaceError) as exc:  # the database: the message is retried, the row unchanged
        logger.warning("delivery %s: database unavailable (%s), retry", delivery_id, exc.__class__.__name__)
        raise self.retry(exc=exc, countdown=5.0) from None
    except services.DeliveryGiveUp as exc:
        code, message = exc.code, exc.message
    return give_up(self, delivery_id, code=code, message=message, fail=services.delivery_fail, what="delivery",
                   logger=logger)


@shared_task(name="invoice.dispatch_due_deliveries")
def dispatch_due_deliveries() -> dict:
    return services.dispatch_due_deliveries()
