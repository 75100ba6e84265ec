"""Invoice statuses, choices and the one transition table."""
from __future__ import annotations

from django.db import models


class InvoiceStatus(models.IntegerChoices):
    DRAFT = 0, "draft"
    VALIDATED = 1, "validated"
    PAID = 2, "paid"
    CANCELLED = 3, "cancelled"
    DELETED = 4, "deleted"
    SUSPENDED = 5, "suspended"
    UNPAID = 6, "unpaid"
    RECONCILIATED = 7, "reconciliated"


class DocumentType(models.TextChoices):
    INVOICE = "INVOICE", "invoice"
    CREDIT_NOTE = "CREDIT_NOTE", "credit note"


class PaymentStatus(models.IntegerChoices):
    REJECTED = 0, "rejected"
    ACCEPTED = 1, "accepted"
    REFUNDED = 2, "refunded"
    CANCELLED = 3, "cancelled"


class ReconciliationStatus(models.IntegerChoices):
    NOT_RECONCILIATED = 0, "not reconciliated"
    RECONCILIATED = 1, "reconciliated"
    REFUNDED = 2, "refunded"
    CANCELLED = 3, "cancelled"


class EventType(models.IntegerChoices):
    MESSAGE = 0, "message"
    STATUS = 1, "status"
    WARNING = 2, "warning"
    PAYMENT = 3, "payment"
    PAYMENT_ERROR = 4, "payment error"


S = InvoiceStatus

# action → {from status: to status}. Every status change of an invoice goes through this table
# (invoice.validation.ensure_transition); anything not listed is ILLEGAL_TRANSITION.
TRANSITIONS: dict[str, dict[int, int]] = {
    "validate": {S.DRAFT: S.VALIDATED},
    "delete": {S.DRAFT: S.DELETED},
    "cancel": {S.VALIDATED: S.CANCELLED, S.UNPAID: S.CANCELLED, S.SUSPENDED: S.CANCELLED},
    "suspend": {S.VALIDATED: S.SUSPENDED, S.UNPAID: S.SUSPENDED},
    "resume": {S.SUSPENDED: S.VALIDATED},
    "mark_unpaid": {S.VALIDATED: S.UNPAID},
    "pay": {S.VALIDATED: S.PAID, S.UNPAID: S.PAID, S.SUSPENDED: S.PAID},
    "unpay": {S.PAID: S.VALIDATED},
    "unpay_overdue": {S.PAID: S.UNPAID},
    "reconcile": {S.PAID: S.RECONCILIATED},
}

EDITABLE_STATUSES = frozenset({S.DRAFT})
# Payments may be recorded (accepted or not) on issued, not closed invoices.
PAYABLE_STATUSES = frozenset({S.VALIDATED, S.UNPAID, S.PAID, S.SUSPENDED})
OPEN_STATUSES = frozenset({S.VALIDATED, S.UNPAID, S.SUSPENDED})
# Invoices that carry a number of their series (drafts may hold a free code, never a number).
ISSUED_STATUSES = frozenset(set(S) - {S.DRAFT, S.DELETED})

# Issued, still owed: the due amount counts (invoice.selectors.due_q). A suspended (disputed)
# invoice is due but never overdue.
OVERDUE_STATUSES = frozenset({S.VALIDATED, S.UNPAID})

# A MESSAGE event addressed to the invoice's customer (its thirdparty) carries
# json_ext {"audience": "customer"}: the only events a customer principal sees (myInvoices).
# Every other event — STATUS, WARNING, PAYMENT, PAYMENT_ERROR, and MESSAGE without it (staff notes) —
# is the organisation's own.
EVENT_AUDIENCE_KEY = "audience"
CUSTOMER_AUDIENCE = "customer"

NUMBER_WIDTH = 6  # PREFIX-YYYY-000001


class DocumentFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    JSON = "json", "JSON"
    XML = "xml", "XML (EN 16931 CII)"
    FACTURX = "facturx", "Factur-X (PDF/A-3 + CII)"


class DocumentStatus(models.TextChoices):
    PENDING = "pending", "pending"
    CREATED = "created", "created"
    FAILED = "failed", "failed"


# A document request is answered by an existing row in these states (a failed one is requested again).
LIVE_DOCUMENT_STATUSES = (DocumentStatus.PENDING, DocumentStatus.CREATED)
# Invoices that have no documents: not issued.
NOT_RENDERABLE_STATUSES = (InvoiceStatus.DRAFT, InvoiceStatus.DELETED)

# Storage file extension per format: org/<org>/invoices/<year>/<number>.<ext>
DOCUMENT_EXTENSIONS = {"pdf": "pdf", "json": "json", "xml": "xml", "facturx": "facturx.pdf"}
DOCUMENT_CONTENT_TYPES = {"pdf": "application/pdf", "json": "application/json", "xml": "application/xml",
                          "facturx": "application/pdf"}
