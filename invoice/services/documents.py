"""Generated documents of invoices: request (pending row + task on commit), generation (render,
store, mark created), and failure (failed row + WARNING event + alert + metric).

Nothing is lost: a request ends `created`, or `failed` with a reason — after retries and the
dead-letter queue (invoice.tasks, invoice.dlq), or by the reaper for rows stuck `pending`."""
from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from core import metrics
from core.errors import DomainError
from invoice import hooks, storage
from invoice.constants import (
    LIVE_DOCUMENT_STATUSES,
    NOT_RENDERABLE_STATUSES,
    DocumentFormat,
    DocumentStatus,
    EventType,
)
from invoice.error_codes import InvoiceErrorCode
from invoice.models import Invoice, InvoiceDocument
from invoice.renderers import render
from invoice.selectors import document_by_idempotency_key, document_snapshot
from invoice.services.events import event_record

logger = logging.getLogger("molink.documents")
alerts = logging.getLogger("molink.alerts")

ENQUEUE_FAILED = "ENQUEUE_FAILED"  # error_code of a pending row whose message never reached the broker


class PoisonDocument(Exception):
    """The document's task ran too many times (crash loop): stop and dead-letter it."""


def ensure_format(fmt: str | None, field: str = "format") -> str:
    value = (fmt or "").strip().lower()
    if value not in DocumentFormat.values:
        raise DomainError(InvoiceErrorCode.INVALID_FORMAT,
                          f"format must be one of {', '.join(DocumentFormat.values)}, got {fmt!r}", field)
    return value


def _same_request(document: InvoiceDocument, invoice: Invoice, fmt: str, operator, start_date, end_date) -> bool:
    return (document.invoice_id == invoice.pk and document.format == fmt
            and document.operator_id == (operator.pk if operator else None)
            and document.start_date == start_date and document.end_date == end_date)


def billed_operator(invoice: Invoice):
    """The operator an invoice bills (its thirdparty, else its subject), or None. The operator model
    is the one InvoiceDocument.operator points to: invoice does not import payment_module."""
    model = InvoiceDocument._meta.get_field("operator").related_model
    for type_id, object_id in ((invoice.thirdparty_type_id, invoice.thirdparty_id),
                               (invoice.subject_type_id, invoice.subject_id)):
        if type_id is not None and object_id is not None \
                and ContentType.objects.get_for_id(type_id).model_class() is model:
            return model.objects.filter(pk=object_id, organization_id=invoice.organization_id).first()
    return None


@transaction.atomic
def document_request(**request) -> InvoiceDocument:
    """request_document's document, for callers that need not know whether it is new."""
    return request_document(**request)[0]


def request_document(*, actor, organization, invoice: Invoice, fmt: str, operator=None,
                     start_date: date | None = None, end_date: date | None = None,
                     idempotency_key: str | None = None) -> tuple[InvoiceDocument, bool]:
    """(document, created): create a `pending` document and enqueue its generation when the
    transaction commits (created); the same request again (same Idempotency-Key, or same invoice
    + format while pending or created) returns the existing row (not created)."""
    fmt = ensure_format(fmt)
    if operator is None:  # e.g. generateInvoiceDocument: the row names the operator and period billed
        operator = billed_operator(invoice)
        if operator is not None and start_date is None and end_date is None:
            start_date, end_date = invoice.date_valid_from, invoice.date_valid_to
    if idempotency_key is not None and len(idempotency_key) > 255:
        raise DomainError(InvoiceErrorCode.IDEMPOTENCY_CONFLICT, "Idempotency-Key is longer than 255 characters",
                          "Idempotency-Key")
    existing = document_by_idempotency_key(organization, idempotency_key)
    if existing is not None:
        if not _same_request(existing, invoice, fmt, operator, start_date, end_date):
            raise DomainError(InvoiceErrorCode.IDEMPOTENCY_CONFLICT,
                              "this Idempotency-Key was used for another request", "Idempotency-Key")
        return existing, False
    if invoice.status in NOT_RENDERABLE_STATUSES:
        raise DomainError(InvoiceErrorCode.NOT_ISSUED,
                          f"invoice is {invoice.get_status_display()}: only issued invoices have documents", "invoiceId")
    live = InvoiceDocument.objects.filter(invoice=invoice, format=fmt, status__in=LIVE_DOCUMENT_STATUSES).first()
    if live is not None:
        return live, False
    document = InvoiceDocument(
        organization=organization, invoice=invoice, operator=operator, start_date=start_date, end_date=end_date,
        format=fmt, requested_by=actor, idempotency_key=idempotency_key,
    )
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        # A concurrent identical request won the race: answer with its row.
        winner = (document_by_idempotency_key(organization, idempotency_key)
                  or InvoiceDocument.objects.filter(invoice=invoice, format=fmt, status__in=LIVE_DOCUMENT_STATUSES).first())
        if winner is None:
            raise
        return winner, False
    transaction.on_commit(lambda: enqueue_or_flag(document.pk))
    metrics.increment("molink_invoice_documents_requested_total", {"format": fmt})
    return document, True


def enqueue(document_id) -> None:
    from invoice.queues import declare_topology, work_queue
    from invoice.tasks import generate_document

    declare_topology()
    # The Queue object (not its name) carries the dead-letter arguments to the publisher.
    generate_document.apply_async(args=[str(document_id)], queue=work_queue())


def enqueue_or_flag(document_id) -> bool:
    """Enqueue a committed request. A broker outage must not fail the request, whose row is
    committed: the row is flagged ENQUEUE_FAILED instead, and the reaper sends it again after
    INVOICE_DOCUMENT_UNSENT_AFTER seconds (not the STUCK_AFTER of rows whose message exists)."""
    try:
        enqueue(document_id)
        return True
    except Exception as exc:  # noqa: BLE001 - any broker error: the row is the record of the request
        logger.warning("document %s: could not enqueue (%s: %s), the reaper will", document_id,
                       exc.__class__.__name__, exc)
        InvoiceDocument.objects.filter(pk=document_id, status=DocumentStatus.PENDING).update(
            error_code=ENQUEUE_FAILED, error_message=f"{exc.__class__.__name__}: {exc}"[:2000],
            date_updated=timezone.now())
        metrics.increment("molink_invoice_documents_enqueue_failed_total")
        return False


def document_generate(document_id) -> InvoiceDocument:
    """Render and store one document (idempotent: a `created` or `failed` row is left alone).
    Raises storage.StorageUnavailable (retryable), RenderError / PoisonDocument (terminal)."""
    with transaction.atomic():
        document = InvoiceDocument.objects.select_for_update().get(pk=document_id)
        if document.status != DocumentStatus.PENDING:
            return document
        document.attempts += 1
        document.save(update_fields=["attempts", "date_updated"])
    if document.attempts > settings.INVOICE_DOCUMENT_MAX_RUNS:
        raise PoisonDocument(f"generation ran {document.attempts} times without finishing")

    snapshot = document_snapshot(document.invoice_id)
    rendered = render(document.format, snapshot)
    sha256 = storage.checksum(rendered.content)
    year = (snapshot.date_invoice or timezone.localdate()).year
    key = storage.document_key(document.organization_id, year, snapshot.number, rendered.extension)

    # Store while holding the row lock: a concurrent run of the same document (a duplicate
    # delivery) waits here, then finds it created and stores nothing. Storing before taking the
    # lock let its upload land after ours while we recorded our checksum, and renders differ
    # from run to run (the PDF /ID), so the row described bytes that were no longer stored.
    with transaction.atomic():
        document = InvoiceDocument.objects.select_for_update().get(pk=document_id)
        if document.status != DocumentStatus.PENDING:
            return document  # finished (or failed) meanwhile by another delivery
        url = storage.store(key, rendered.content, rendered.content_type, sha256)
        document.url, document.storage_key, document.checksum = url, key, sha256
        document.size, document.content_type = len(rendered.content), rendered.content_type
        document.error_code, document.error_message = "", ""
        document.date_generated = timezone.now()
        # In the same commit: one transaction per document instead of two.
        _change_status(document, DocumentStatus.CREATED, "molink_invoice_documents_created_total",
                       {"format": document.format})
    return document


def _change_status(document: InvoiceDocument, new: str, metric: str, labels: dict, *,
                   warning: str | None = None) -> None:
    """The one way a document's status changes (inside the caller's transaction, the row locked):
    save the row, write the invoice's WARNING event when there is one to tell, count the metric,
    and schedule the hooks other modules registered (invoice.hooks) for after the commit."""
    old, document.status = document.status, new
    document.save()
    if warning is not None:
        event_record(invoice=document.invoice, event_type=EventType.WARNING, reason=f"document_{new}",
                     message=warning)
    metrics.increment(metric, labels)
    hooks.document_status_changed(document, old=old, new=new)


def document_note_error(document_id, code: str, message: str) -> None:
    """Keep the last error on the row (the broker does not carry it into the DLQ)."""
    InvoiceDocument.objects.filter(pk=document_id, status=DocumentStatus.PENDING).update(
        error_code=code[:64], error_message=message[:2000], date_updated=timezone.now()
    )


@transaction.atomic
def document_fail(document_id, *, code: str | None = None, message: str | None = None,
                  source: str = "dlq") -> InvoiceDocument | None:
    """Mark a document `failed` with its reason, write a WARNING event on the invoice, log an
    alert at ERROR level and count it. A `created` row stays created (late duplicate)."""
    document = InvoiceDocument.objects.select_for_update().select_related("invoice").filter(pk=document_id).first()
    if document is None:
        alerts.error("dead-lettered document %s does not exist", document_id)
        metrics.increment("molink_invoice_documents_dead_lettered_total", {"result": "unknown"})
        return None
    if document.status != DocumentStatus.PENDING:
        return document
    document.error_code = (code or document.error_code or "GENERATION_FAILED")[:64]
    document.error_message = (message or document.error_message or "generation failed")[:2000]
    _change_status(document, DocumentStatus.FAILED, "molink_invoice_documents_failed_total",
                   {"format": document.format, "source": source},
                   warning=f"{document.format} document could not be generated after {document.attempts} "
                           f"attempt(s): {document.error_code} — {document.error_message}")
    alerts.error("ALERT invoice document %s (%s, invoice %s) failed via %s: %s %s", document.pk, document.format,
                 document.invoice.code, source, document.error_code, document.error_message)
    return document


def reap_stuck_documents(*, older_than: int | None = None, unsent_after: int | None = None) -> dict[str, int]:
    """Rows `pending` for too long: re-enqueue them while they have runs left, else fail them.
    Too long is INVOICE_DOCUMENT_STUCK_AFTER (`older_than`) since the row last changed, or
    INVOICE_DOCUMENT_UNSENT_AFTER (`unsent_after`) for a row whose enqueue failed (ENQUEUE_FAILED):
    no message of it exists, so nothing else will ever run it. A broker still down leaves the row
    flagged for the next round."""
    now = timezone.now()
    stuck_cutoff = now - timedelta(seconds=settings.INVOICE_DOCUMENT_STUCK_AFTER if older_than is None else older_than)
    unsent_cutoff = now - timedelta(seconds=settings.INVOICE_DOCUMENT_UNSENT_AFTER if unsent_after is None else unsent_after)
    counts = {"requeued": 0, "failed": 0}
    stuck = (InvoiceDocument.objects.filter(status=DocumentStatus.PENDING)
             .filter(Q(date_updated__lt=stuck_cutoff) | Q(error_code=ENQUEUE_FAILED, date_updated__lt=unsent_cutoff))
             .values_list("pk", "attempts"))
    for pk, attempts in list(stuck):
        if attempts >= settings.INVOICE_DOCUMENT_MAX_RUNS:
            document_fail(pk, code="STUCK", message=f"pending for too long after {attempts} runs", source="reaper")
            counts["failed"] += 1
            continue
        InvoiceDocument.objects.filter(pk=pk, status=DocumentStatus.PENDING).update(
            error_code=Case(When(error_code=ENQUEUE_FAILED, then=Value("")), default=F("error_code")),
            date_updated=timezone.now())
        if enqueue_or_flag(pk):
            counts["requeued"] += 1
    return counts


def _document_gauge():
    from django.db.models import Count

    for row in InvoiceDocument.objects.values("status").annotate(n=Count("id")):
        yield {"status": row["status"]}, row["n"]


metrics.register_gauge("molink_invoice_documents", "invoice documents by status", _document_gauge)
