"""Celery tasks: interfaces over invoice.services.documents."""
from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from invoice.queues import give_up
from invoice.renderers import RenderError
from invoice.services import documents
from invoice.storage import StorageUnavailable

logger = logging.getLogger("molink.documents")

# Transient failures, retried with backoff, and the code the row keeps meanwhile.
RETRYABLE = {
    StorageUnavailable: "STORAGE_UNAVAILABLE",
    ConnectionError: "NETWORK_ERROR",
    TimeoutError: "TIMEOUT",
    OperationalError: "DATABASE_UNAVAILABLE",  # e.g. PostgreSQL restarting, a lock timeout
    InterfaceError: "DATABASE_UNAVAILABLE",
}


def _retry_code(exc: Exception) -> str:
    return next(code for kind, code in RETRYABLE.items() if isinstance(exc, kind))


def _note_error(document_id: str, code: str, message: str) -> None:
    """Best effort: with the database down the note is lost, not the retry."""
    try:
        documents.document_note_error(document_id, code, message)
    except (OperationalError, InterfaceError) as exc:
        logger.warning("document %s: could not note %s (%s)", document_id, code, exc.__class__.__name__)


@shared_task(name="invoice.generate_document", bind=True, acks_late=True, reject_on_worker_lost=True,
             max_retries=None)
def generate_document(self, document_id: str) -> str:
    """Retryable errors retry INVOICE_DOCUMENT_MAX_RETRIES times with exponential backoff; then —
    or at once for a terminal error — the message is rejected to the dead-letter queue, whose
    consumer marks the row failed (invoice.dlq). In eager mode (no broker) it fails the row here."""
    try:
        document = documents.document_generate(document_id)
        return document.status
    except tuple(RETRYABLE) as exc:
        code, message = _retry_code(exc), str(exc) or exc.__class__.__name__
        if self.request.retries < settings.INVOICE_DOCUMENT_MAX_RETRIES:
            _note_error(document_id, code, message)
            countdown = settings.INVOICE_DOCUMENT_RETRY_BACKOFF * (2 ** self.request.retries)
            logger.warning("document %s: %s, retry %d in %.1fs", document_id, message, self.request.retries + 1, countdown)
            raise self.retry(exc=exc, countdown=countdown)
    except RenderError as exc:
        code, message = exc.code, exc.message
    except documents.PoisonDocument as exc:
        code, message = "POISON_MESSAGE", str(exc)
    except documents.InvoiceDocument.DoesNotExist:
        code, message = "NOT_FOUND", f"document {document_id} does not exist"
    _note_error(document_id, code, message)
    return give_up(self, document_id, code=code, message=message, fail=documents.document_fail, what="document",
                   logger=logger)


@shared_task(name="invoice.reap_stuck_documents")
def reap_stuck_documents() -> dict:
    return documents.reap_stuck_documents()


@shared_task(name="invoice.flag_overdue_invoices")
def flag_overdue_invoices() -> dict:
    """Daily (CELERY_BEAT_SCHEDULE): record the invoices that became overdue, tell the hooks once."""
    from invoice.services.overdue import flag_overdue_invoices as run

    return run()


# Delivery's tasks live in their package; importing them here lets the worker find them.
from invoice.delivery.tasks import deliver, dispatch_due_deliveries  # noqa: F401
