"""Invoices, their lines, payments and events (openIMIS field names: they are the API)."""
from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q

from core.ids import uuid7
from core.models import HistoryBusinessModel, HistoryModel, Organization
from invoice.constants import (
    DocumentFormat,
    DocumentStatus,
    DocumentType,
    EventType,
    InvoiceStatus,
    PaymentStatus,
    ReconciliationStatus,
)

ZERO = Decimal(0)


def money_field(**kwargs) -> models.DecimalField:
    kwargs.setdefault("default", ZERO)
    return models.DecimalField(max_digits=18, decimal_places=2, **kwargs)


class Invoice(HistoryBusinessModel):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="invoices")
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    subject_id = models.UUIDField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    thirdparty_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    thirdparty_id = models.UUIDField(null=True, blank=True)
    thirdparty = GenericForeignKey("thirdparty_type", "thirdparty_id")
    related_invoice = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="related_invoices")
    document_type = models.CharField(max_length=20, choices=DocumentType.choices, default=DocumentType.INVOICE)

    code = models.CharField(max_length=64, blank=True, default="", db_index=True)
    code_tp = models.CharField(max_length=255, blank=True, default="")
    code_ext = models.CharField(max_length=255, blank=True, default="")
    date_due = models.DateField(null=True, blank=True)
    date_invoice = models.DateField(null=True, blank=True, db_index=True)
    date_payed = models.DateField(null=True, blank=True)

    amount_discount = money_field()
    amount_net = money_field()
    tax_analysis = models.JSONField(null=True, blank=True)
    amount_total = money_field(db_index=True)
    amount_payed = money_field()

    status = models.IntegerField(choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT, db_index=True)
    currency_code = models.CharField(max_length=3, default="EUR")
    currency_tp_code = models.CharField(max_length=3, blank=True, default="")
    note = models.TextField(blank=True, default="")
    terms = models.TextField(blank=True, default="")
    payment_reference = models.CharField(max_length=255, blank=True, default="", db_index=True)
    zero_total_reason = models.TextField(blank=True, default="",
                                         help_text="why an invoice totalling 0 is issued (required to validate one)")
    overdue_since = models.DateField(null=True, blank=True,
                                     help_text="first day the invoice was overdue, set by the daily overdue run "
                                               "(invoice.services.overdue); cleared when it no longer is")

    # The customer (core.tenancy.scope_to_customer): the party billed, the invoice's thirdparty.
    customer_path = ("organization", "thirdparty_type", "thirdparty_id")

    class Meta:
        ordering = ("-date_created",)
        permissions = [("validate_invoice", "Can validate (issue) an invoice"),
                       ("cancel_invoice", "Can cancel an invoice by a credit note")]
        indexes = [
            models.Index(fields=["organization", "status", "-date_created"], name="inv_org_status_idx"),
            # Live invoices of an organisation: the list page's count(*) and default ordering.
            models.Index(fields=["organization", "-date_created"], condition=Q(is_deleted=False), name="inv_org_live_idx"),
            # The openIMIS front end's list page: live invoices by number (`orderBy: ["code"]`, then pk).
            models.Index(fields=["organization", "code", "id"], condition=Q(is_deleted=False), name="inv_org_live_code_idx"),
            models.Index(fields=["organization", "-date_invoice"], name="inv_org_date_idx"),
            models.Index(fields=["organization", "subject_type", "subject_id"], name="inv_org_subject_idx"),
            models.Index(fields=["organization", "thirdparty_type", "thirdparty_id"], name="inv_org_tp_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=("organization", "code"), condition=~Q(code=""), name="inv_unique_code_per_org"),
            models.CheckConstraint(
                condition=Q(date_valid_to__isnull=True) | Q(date_valid_from__isnull=True) | Q(date_valid_to__gte=F("date_valid_from")),
                name="inv_valid_period",
            ),
            # Invoices carry non-negative amounts; credit notes are the negative of their invoice.
            models.CheckConstraint(
                condition=(Q(document_type=DocumentType.INVOICE) & Q(amount_net__gte=0) & Q(amount_total__gte=0)
                           & Q(amount_discount__gte=0))
                | (Q(document_type=DocumentType.CREDIT_NOTE) & Q(amount_net__lte=0) & Q(amount_total__lte=0)),
                name="inv_amount_sign",
            ),
            models.CheckConstraint(condition=Q(amount_payed__gte=0), name="inv_amount_payed_gte_0"),
        ]

    def __str__(self) -> str:
        return self.code or f"draft {self.pk}"

    @property
    def amount_to_refund(self) -> Decimal:
        """The balance in favour of the buyer: accepted payments beyond the total (overpayments)."""
        return max(self.amount_payed - self.amount_total, ZERO)


class InvoiceLineItem(HistoryBusinessModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="line_items")
    line_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    line_id = models.UUIDField(null=True, blank=True)
    line = GenericForeignKey("line_type", "line_id")
    code = models.CharField(max_length=255, blank=True, default="")
    description = models.TextField(blank=True, default="")
    details = models.JSONField(null=True, blank=True)
    ledger_account = models.CharField(max_length=64, blank=True, default="")
    quantity = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal(1))
    unit_price = models.DecimalField(max_digits=18, decimal_places=4, default=ZERO)
    discount = models.DecimalField(max_digits=5, decimal_places=4, default=ZERO)
    deduction = money_field()
    tax_rate = models.UUIDField(null=True, blank=True)
    tax_analysis = models.JSONField(null=True, blank=True)
    amount_net = money_field()
    amount_total = money_field()

    tenant_path = "invoice__organization"
    customer_path = "invoice"

    class Meta:
        ordering = ("date_created", "id")
        indexes = [models.Index(fields=["line_type", "line_id"], name="line_generic_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="line_unit_price_gte_0"),
            models.CheckConstraint(condition=Q(discount__gte=0) & Q(discount__lte=1), name="line_discount_0_1"),
            models.CheckConstraint(condition=Q(deduction__gte=0), name="line_deduction_gte_0"),
        ]


class InvoicePayment(HistoryModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    status = models.IntegerField(choices=PaymentStatus.choices, default=PaymentStatus.ACCEPTED, db_index=True)
    code_ext = models.CharField(max_length=255, blank=True, default="")
    label = models.CharField(max_length=255, blank=True, default="")
    code_rcp = models.CharField(max_length=255, blank=True, default="")
    code_receipt = models.CharField(max_length=255, blank=True, default="")
    # openIMIS "payment invoice" fields, used by its front end's payments tab
    code_tp = models.CharField(max_length=255, blank=True, default="")
    payment_origin = models.CharField(max_length=255, blank=True, default="")
    payer_ref = models.CharField(max_length=255, blank=True, default="")
    payer_name = models.CharField(max_length=255, blank=True, default="")
    reconciliation_status = models.IntegerField(choices=ReconciliationStatus.choices,
                                                default=ReconciliationStatus.NOT_RECONCILIATED)
    amount_payed = money_field()
    fees = money_field()
    amount_received = money_field()
    date_payment = models.DateField(null=True, blank=True)
    overpayment = models.BooleanField(
        default=False, help_text="accepted knowingly beyond the invoice's total: the excess is owed back to the buyer")

    tenant_path = "invoice__organization"

    class Meta:
        ordering = ("-date_payment", "-date_created")
        constraints = [
            models.CheckConstraint(condition=Q(amount_payed__gte=0), name="pay_amount_payed_gte_0"),
            models.CheckConstraint(condition=Q(fees__gte=0), name="pay_fees_gte_0"),
            models.CheckConstraint(condition=Q(amount_received__gte=0), name="pay_amount_received_gte_0"),
        ]


class InvoiceEvent(HistoryModel):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="events")
    event_type = models.IntegerField(choices=EventType.choices, default=EventType.MESSAGE, db_index=True)
    message = models.TextField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    tenant_path = "invoice__organization"
    customer_path = "invoice"

    class Meta:
        ordering = ("-date_created",)


class InvoiceLiveCount(models.Model):
    """How many live (not deleted) invoices an organisation has, so that the list page's
    `totalCount` does not scan them all (`COUNT(*)` grows with the organisation: 55 ms at 1M).

    Maintained on PostgreSQL by a deferred constraint trigger on invoice_invoice (migration
    0008): every insert, soft delete and delete adds its ±1 at commit, after every other lock
    of the transaction, so that it cannot take part in a lock-order deadlock, and a rolled-back
    transaction changes nothing. Read only outside a transaction (invoice.selectors
    .live_invoice_count), where it is exactly what a COUNT(*) would see. A model (not a bare
    table) so that a test database flush empties it with the invoices."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, primary_key=True, related_name="+")
    live = models.BigIntegerField(default=0)

    tenant_path = "organization"


class InvoiceNumberSequence(models.Model):
    """The last number issued per organisation and year; locked row = gap-free numbering."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    tenant_path = "organization"

    class Meta:
        constraints = [models.UniqueConstraint(fields=("organization", "year"), name="uniq_sequence_org_year")]


class InvoiceDocument(models.Model):
    """A generated file of an invoice (the RFC's `invoices` row): requested `pending`, then
    `created` with its storage key, or `failed` with a reason. Never lost: see invoice.tasks."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="invoice_documents")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="documents")
    operator = models.ForeignKey("payment_module.Operator", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="invoice_documents")
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    format = models.CharField(max_length=10, choices=DocumentFormat.choices)
    status = models.CharField(max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.PENDING, db_index=True)
    url = models.CharField(max_length=1024, null=True, blank=True)
    storage_key = models.CharField(max_length=512, blank=True, default="")
    content_type = models.CharField(max_length=100, blank=True, default="")
    checksum = models.CharField(max_length=64, blank=True, default="", help_text="SHA-256 of the stored bytes")
    size = models.PositiveBigIntegerField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=64, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    date_created = models.DateTimeField(auto_now_add=True, db_index=True)
    date_updated = models.DateTimeField(auto_now=True)
    date_generated = models.DateTimeField(null=True, blank=True)

    tenant_path = "organization"
    customer_path = "invoice"

    class Meta:
        ordering = ("-date_created",)
        indexes = [models.Index(fields=["organization", "status", "-date_created"], name="doc_org_status_idx"),
                   models.Index(fields=["status", "date_updated"], name="doc_status_updated_idx")]
        constraints = [
            models.UniqueConstraint(fields=("organization", "idempotency_key"), condition=Q(idempotency_key__isnull=False),
                                    name="doc_unique_idempotency_key"),
            # One live document per invoice and format: re-requests return it.
            models.UniqueConstraint(fields=("invoice", "format"), condition=Q(status__in=["pending", "created"]),
                                    name="doc_one_live_per_invoice_format"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(start_date__isnull=True) | Q(end_date__gte=F("start_date")),
                                   name="doc_valid_period"),
        ]


# Delivery models live in their package; importing them here registers them with the app.
from invoice.delivery.models import (
    Delivery,
    DeliveryAttempt,
    DeliverySettings,
    SftpDestination,
    WebhookEndpoint,
)

__all__ = ["Delivery", "DeliveryAttempt", "DeliverySettings", "SftpDestination", "WebhookEndpoint"]
