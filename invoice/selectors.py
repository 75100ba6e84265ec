"""Scoped reads of invoices. Every query goes through core.tenancy.scope."""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from core.errors import NotFound
from core.money import quantize
from core.tenancy import CustomerPrincipal, get_scoped, scope, scope_to_customer
from invoice.constants import (
    CUSTOMER_AUDIENCE,
    EVENT_AUDIENCE_KEY,
    ISSUED_STATUSES,
    LIVE_DOCUMENT_STATUSES,
    NOT_RENDERABLE_STATUSES,
    OPEN_STATUSES,
    OVERDUE_STATUSES,
    DocumentStatus,
    DocumentType,
    EventType,
    InvoiceStatus,
)
from invoice.models import (
    Invoice,
    InvoiceEvent,
    InvoiceLineItem,
    InvoiceLiveCount,
    InvoicePayment,
)
from invoice.renderers.snapshot import (
    InvoiceSnapshot,
    LineSnapshot,
    PartySnapshot,
    TaxSnapshot,
)

# --- What is due, what is overdue: the one definition ---------------------------------------------

def today() -> date:
    return timezone.localdate()


def due_q() -> Q:
    """Invoices that still ask for money: issued invoices (not credit notes) open for payment
    (validated, unpaid, suspended) whose accepted payments do not cover the total."""
    return Q(document_type=DocumentType.INVOICE, status__in=OPEN_STATUSES, amount_total__gt=F("amount_payed"),
             is_deleted=False)


def overdue_q(on: date | None = None) -> Q:
    """Due invoices whose due date is before `on` (default today), suspended (disputed) ones aside."""
    return due_q() & Q(status__in=OVERDUE_STATUSES, date_due__lt=on or today())


def amount_due(invoice) -> Decimal:
    """What the buyer still owes on this invoice (0 unless it is due, see due_q)."""
    if (invoice.document_type != DocumentType.INVOICE or invoice.status not in OPEN_STATUSES or invoice.is_deleted
            or invoice.amount_total <= invoice.amount_payed):
        return Decimal("0.00")
    return invoice.amount_total - invoice.amount_payed


def is_past_due(invoice, on: date | None = None) -> bool:
    return invoice.date_due is not None and invoice.date_due < (on or today())


def is_overdue(invoice, on: date | None = None) -> bool:
    """The Python twin of overdue_q, for one loaded invoice."""
    return amount_due(invoice) > 0 and invoice.status in OVERDUE_STATUSES and is_past_due(invoice, on)


def overdue_invoices(on: date | None = None) -> QuerySet:
    """Every organisation's overdue invoices (the daily overdue run)."""
    return Invoice.objects.filter(overdue_q(on))


def invoice_list(organization, *, include_deleted: bool = False) -> QuerySet:
    qs = scope(Invoice.objects.all(), organization)
    return qs if include_deleted else qs.filter(is_deleted=False)


def live_invoice_count(organization) -> int | None:
    """The organisation's live invoices, from InvoiceLiveCount, or None where it is not kept
    (another database than PostgreSQL) or cannot be trusted: inside a transaction, which may
    have created or deleted invoices not counted before its commit (the trigger is deferred)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    row = InvoiceLiveCount.objects.filter(organization=organization).values_list("live", flat=True).first()
    return row or 0


def invoice_get(organization, pk, *, field: str = "id") -> Invoice:
    return get_scoped(Invoice.objects.all(), organization, pk, what="invoice", field=field)


def invoice_lock(pk) -> Invoice:
    """Lock the invoice row for the rest of the transaction (writers queue up here)."""
    return Invoice.objects.select_for_update().get(pk=pk)


def line_get(organization, pk, *, field: str = "id") -> InvoiceLineItem:
    return get_scoped(InvoiceLineItem.objects.filter(is_deleted=False).select_related("invoice"), organization, pk,
                      what="invoice line", field=field)


def payment_get(organization, pk, *, field: str = "id") -> InvoicePayment:
    return get_scoped(InvoicePayment.objects.filter(is_deleted=False).select_related("invoice"), organization, pk,
                      what="payment", field=field)


def event_get(organization, pk, *, field: str = "id") -> InvoiceEvent:
    return get_scoped(InvoiceEvent.objects.select_related("invoice"), organization, pk, what="invoice event", field=field)


def active_lines(invoice: Invoice) -> list[InvoiceLineItem]:
    return list(InvoiceLineItem.objects.filter(invoice=invoice, is_deleted=False).order_by("date_created", "id"))


def invoices_lock(pks) -> dict:
    """Lock many invoice rows for the rest of the transaction, in primary-key order (two writers
    locking overlapping sets cannot deadlock): {pk: Invoice}."""
    return {invoice.pk: invoice for invoice in Invoice.objects.select_for_update().filter(pk__in=list(pks)).order_by("pk")}


def accepted_payments_of(invoice_pks) -> QuerySet:
    from invoice.constants import PaymentStatus

    return InvoicePayment.objects.filter(invoice_id__in=list(invoice_pks), is_deleted=False, status=PaymentStatus.ACCEPTED)


def accepted_payments(invoice: Invoice) -> QuerySet:
    from invoice.constants import PaymentStatus

    return InvoicePayment.objects.filter(invoice=invoice, is_deleted=False, status=PaymentStatus.ACCEPTED)


def invoice_with_children(organization) -> QuerySet:
    """Invoices with their lines, payments and events prefetched (for card and list pages)."""
    return invoice_list(organization).prefetch_related(
        Prefetch("line_items", queryset=InvoiceLineItem.objects.filter(is_deleted=False)),
        Prefetch("payments", queryset=InvoicePayment.objects.filter(is_deleted=False)),
        Prefetch("events", queryset=InvoiceEvent.objects.filter(is_deleted=False).select_related("user")),
    )


def document_list(organization) -> QuerySet:
    from invoice.models import InvoiceDocument

    return scope(InvoiceDocument.objects.select_related("invoice", "operator"), organization)


def document_get(organization, pk, *, field: str = "id"):
    from invoice.models import InvoiceDocument

    return get_scoped(InvoiceDocument.objects.select_related("invoice", "operator"), organization, pk,
                      what="invoice document", field=field)


def document_by_idempotency_key(organization, key: str | None):
    """The organisation's document requested with this Idempotency-Key, if any: what a replay answers."""
    from invoice.models import InvoiceDocument

    if not key:
        return None
    return InvoiceDocument.objects.filter(organization=organization, idempotency_key=key).first()


def period_documents(organization, *, operator, start_date, end_date, among: QuerySet) -> QuerySet:
    """Documents of an operator's period whose invoice is one of `among` (billing passes the
    invoices that bill the operator's orders), the cancelled invoices' aside."""
    from invoice.models import InvoiceDocument

    return (scope(InvoiceDocument.objects.all(), organization)
            .filter(operator=operator, start_date=start_date, end_date=end_date, invoice__in=among)
            .exclude(invoice__status=InvoiceStatus.CANCELLED))


def live_period_document(organization, *, operator, start_date, end_date, fmt: str, among: QuerySet):
    """The period's pending or created document in `fmt`, if any: what a repeated request answers."""
    return period_documents(organization, operator=operator, start_date=start_date, end_date=end_date,
                            among=among).filter(format=fmt, status__in=LIVE_DOCUMENT_STATUSES).first()


def period_invoice(organization, *, operator, start_date, end_date, among: QuerySet) -> Invoice | None:
    """The issued invoice already generated for exactly this operator and period (whatever the
    format or the fate of its documents), if any."""
    document = (period_documents(organization, operator=operator, start_date=start_date, end_date=end_date,
                                 among=among)
                .exclude(invoice__status__in=NOT_RENDERABLE_STATUSES).select_related("invoice").order_by("-date_created")
                .first())
    return document.invoice if document is not None else None


# --- What a customer principal sees (core.tenancy.scope_to_customer) --------------------------------

def customer_invoice_list(principal: CustomerPrincipal, queryset: QuerySet | None = None) -> QuerySet:
    """The issued invoices (and credit notes) billed to the principal's parties at every
    organisation: never drafts, deleted or other parties' invoices."""
    queryset = Invoice.objects.all() if queryset is None else queryset
    return scope_to_customer(queryset.filter(is_deleted=False, status__in=ISSUED_STATUSES), principal)


def customer_invoice_get(principal: CustomerPrincipal, pk, *, field: str = "id") -> Invoice:
    try:
        key = uuid.UUID(str(pk))
    except (TypeError, ValueError):
        raise NotFound("invoice", pk, field) from None
    invoice = customer_invoice_list(principal).select_related("organization").filter(pk=key).first()
    if invoice is None:
        raise NotFound("invoice", pk, field)
    return invoice


def customer_messages_q() -> Q:
    """The events a customer sees: MESSAGE events addressed to them (invoice.constants)."""
    return Q(event_type=EventType.MESSAGE, is_deleted=False, **{f"json_ext__{EVENT_AUDIENCE_KEY}": CUSTOMER_AUDIENCE})


def customer_documents_q() -> Q:
    """The documents a customer sees: pending or created (a failed one is the organisation's concern)."""
    return Q(status__in=LIVE_DOCUMENT_STATUSES)


# Which created document a customer download answers when no format is asked.
DOWNLOAD_PREFERENCE = ("pdf", "facturx", "xml", "json")


def customer_download_document(principal: CustomerPrincipal, invoice_pk, fmt: str | None = None):
    """The document a customer downloads for one of their invoices: the created one in `fmt`, or
    the first created one in DOWNLOAD_PREFERENCE; the latest pending one when none is created
    (the download then answers DOCUMENT_PENDING); NOT_FOUND when the invoice is not theirs or has
    no document (in that format)."""
    from invoice.models import InvoiceDocument

    invoice = customer_invoice_get(principal, invoice_pk)
    documents = list(InvoiceDocument.objects.filter(customer_documents_q(), invoice=invoice)
                     .order_by("-date_created"))
    if fmt:
        documents = [document for document in documents if document.format == fmt]
    created = sorted((d for d in documents if d.status == DocumentStatus.CREATED),
                     key=lambda d: DOWNLOAD_PREFERENCE.index(d.format) if d.format in DOWNLOAD_PREFERENCE else 99)
    if created:
        return created[0]
    if documents:
        return documents[0]
    raise NotFound("document of invoice", invoice_pk, "format" if fmt else "id")


def totals_due(queryset: QuerySet, on: date | None = None) -> list[dict]:
    """Per currency, over `queryset`'s invoices: what is due, how much of it is overdue, and how many
    invoices each (what a customer's list page shows on top)."""
    on = on or today()
    remainder = F("amount_total") - F("amount_payed")
    rows = (queryset.order_by().values("currency_code")
            .annotate(amount_due=Sum(remainder, filter=due_q()), count_due=Count("pk", filter=due_q()),
                      amount_overdue=Sum(remainder, filter=overdue_q(on)), count_overdue=Count("pk", filter=overdue_q(on)))
            .order_by("currency_code"))
    return [{"currency_code": row["currency_code"],
             "amount_due": quantize(row["amount_due"] or Decimal(0), row["currency_code"]),
             "count_due": row["count_due"],
             "amount_overdue": quantize(row["amount_overdue"] or Decimal(0), row["currency_code"]),
             "count_overdue": row["count_overdue"]} for row in rows if row["count_due"]]


def party_snapshot(obj) -> PartySnapshot:
    """A party (seller or buyer) as the renderers read it; validation checks the same values."""
    return _party(obj)


def _party(obj) -> PartySnapshot:
    if obj is None:
        return PartySnapshot(name="")
    names = [f.name for f in PartySnapshot.__dataclass_fields__.values()]
    values = {name: (getattr(obj, name, "") or "") for name in names}
    values["share_capital"] = getattr(obj, "share_capital", None)
    if not values["name"]:
        values["name"] = (obj.get_full_name() if hasattr(obj, "get_full_name") else "") or str(obj)
    return PartySnapshot(**values)


def payment_days(invoice) -> int:
    """The invoice's own terms: its due date minus its issue date (an operator's terms for a
    generated invoice), else the organisation's default."""
    if invoice.date_invoice and invoice.date_due and invoice.date_due >= invoice.date_invoice:
        return (invoice.date_due - invoice.date_invoice).days
    return invoice.organization.payment_days


def document_snapshot(invoice_id) -> InvoiceSnapshot:
    """Everything a renderer needs, read once: invoice, seller, buyer, lines, VAT breakdown."""
    from core.calculation import get_rules

    invoice = (Invoice.objects.select_related("organization", "related_invoice", "thirdparty_type")
               .prefetch_related(Prefetch("line_items", queryset=InvoiceLineItem.objects.filter(is_deleted=False)
                                          .order_by("date_created", "id")))
               .get(pk=invoice_id))
    lines = list(invoice.line_items.all())
    rules = get_rules(invoice.organization, {line.tax_rate for line in lines})
    by_code = {rule.code: rule for rule in rules.values()}
    snapshot_lines = []
    for position, line in enumerate(lines, start=1):
        rule = rules.get(line.tax_rate)
        details = line.details.get("text", "") if isinstance(line.details, dict) else ""
        snapshot_lines.append(LineSnapshot(
            position=position, code=line.code, description=line.description, details=details or "",
            quantity=line.quantity, unit_price=line.unit_price, discount=line.discount, deduction=line.deduction,
            amount_net=line.amount_net, amount_total=line.amount_total,
            tax_code=rule.code if rule else "", tax_label=rule.label if rule else "",
            tax_rate=rule.rate if rule else Decimal("0"), vat_category=rule.vat_category if rule else "O",
            ledger_account=line.ledger_account, period_start=line.date_valid_from, period_end=line.date_valid_to,
        ))
    taxes = []
    for item in (invoice.tax_analysis or {}).get("lines", []):
        rule = by_code.get(item["code"])
        taxes.append(TaxSnapshot(
            code=item["code"], label=item["label"], rate=Decimal(item["rate"]), base=Decimal(item["base"]),
            amount=Decimal(item["amount"]), vat_category=item.get("category", "S"),
            exemption_reason=item.get("exemption_reason", ""),
            exemption_reason_code=rule.exemption_reason_code if rule else "",
        ))
    tax_total = Decimal((invoice.tax_analysis or {}).get("total", "0"))
    organization = invoice.organization
    return InvoiceSnapshot(
        id=str(invoice.id), number=invoice.code, document_type=invoice.document_type,
        related_number=invoice.related_invoice.code if invoice.related_invoice else "",
        related_date=invoice.related_invoice.date_invoice if invoice.related_invoice else None,
        status=invoice.get_status_display(), date_invoice=invoice.date_invoice, date_due=invoice.date_due,
        period_start=invoice.date_valid_from, period_end=invoice.date_valid_to, currency=invoice.currency_code,
        seller=_party(organization), buyer=_party(invoice.thirdparty), lines=tuple(snapshot_lines), taxes=tuple(taxes),
        amount_net=invoice.amount_net, amount_discount=invoice.amount_discount, tax_total=tax_total,
        amount_total=invoice.amount_total, amount_payed=invoice.amount_payed,
        amount_due=invoice.amount_total - invoice.amount_payed, payment_reference=invoice.payment_reference,
        payment_days=payment_days(invoice), note=invoice.note, terms=invoice.terms, buyer_reference=invoice.code_tp,
        template_blocks=dict(organization.template_blocks or {}),
        operation_category=organization.operation_category, vat_on_debits=organization.vat_on_debits,
    )
