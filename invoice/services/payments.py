"""Writes on payments. Each one writes a PAYMENT (or PAYMENT_ERROR) event and re-derives the
invoice's amount_payed and status (invoice.services.invoices.sync_payment_status)."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum

from core.error_codes import CoreErrorCode
from core.errors import DomainError, ErrorCollector
from core.history import bulk_create_with_history, ensure_version, save_with_history
from core.money import ZERO
from core.validation import ensure_max_length
from invoice.constants import EventType, PaymentStatus, ReconciliationStatus
from invoice.models import Invoice, InvoiceEvent, InvoicePayment
from invoice.selectors import accepted_payments, accepted_payments_of, invoice_lock, invoices_lock
from invoice.services.events import event_record
from invoice.services.invoices import sync_payment_status, sync_payment_status_bulk, today
from invoice.validation import (
    ensure_payable,
    ensure_payment_amounts,
    ensure_payment_date,
    ensure_payment_fits,
)

TEXT_FIELDS = {"code_ext": ("codeExt", 255), "label": ("label", 255), "code_rcp": ("codeRcp", 255),
               "code_receipt": ("codeReceipt", 255), "code_tp": ("codeTp", 255),
               "payment_origin": ("paymentOrigin", 255), "payer_ref": ("payerRef", 255),
               "payer_name": ("payerName", 255)}
AMOUNTS = ("amount_payed", "fees", "amount_received")
FLAGS = ("status", "reconciliation_status", "date_payment", "overpayment", "json_ext")
EDITABLE = set(TEXT_FIELDS) | set(AMOUNTS) | set(FLAGS)


def _apply(payment: InvoicePayment, changes: dict) -> None:
    check = ErrorCollector()
    for name, (label, limit) in TEXT_FIELDS.items():
        if changes.get(name) is not None:
            check.check(ensure_max_length, changes[name], limit, label)
    merged = {name: changes[name] if changes.get(name) is not None else getattr(payment, name) for name in AMOUNTS}
    amounts = check.check(ensure_payment_amounts, **merged)
    if "status" in changes and changes["status"] not in PaymentStatus.values:
        check.errors.append(DomainError(
            CoreErrorCode.INVALID, f"payment status must be one of {PaymentStatus.values}, got {changes['status']!r}", "status"
        ))
    if "reconciliation_status" in changes and changes["reconciliation_status"] is not None \
            and changes["reconciliation_status"] not in ReconciliationStatus.values:
        check.errors.append(DomainError(
            CoreErrorCode.INVALID,
            f"reconciliation status must be one of {ReconciliationStatus.values}, got {changes['reconciliation_status']!r}",
            "reconciliationStatus",
        ))
    if changes.get("date_payment") is not None:
        check.check(ensure_payment_date, changes["date_payment"], today())
    check.raise_if_any()
    for name, value in amounts.items():
        setattr(payment, name, value)
    for name in TEXT_FIELDS:
        if name in changes:
            setattr(payment, name, (changes[name] or "").strip())
    for name in FLAGS:
        if name in changes and (changes[name] is not None or name == "json_ext"):
            setattr(payment, name, changes[name])


def _ensure_adds_up(invoice: Invoice, payment: InvoicePayment) -> None:
    """Accepted payments never exceed the total unless this one is flagged an overpayment. The
    invoice row is locked by the caller: concurrent payments of one invoice queue on it, so the
    sum read here includes every payment committed before."""
    if payment.status != PaymentStatus.ACCEPTED:
        return
    others = accepted_payments(invoice).exclude(pk=payment.pk).aggregate(total=Sum("amount_payed"))["total"] or ZERO
    ensure_payment_fits(amount_total=invoice.amount_total, accepted_others=others, amount_payed=payment.amount_payed,
                        overpayment=payment.overpayment)


def _payment_event_of(payment: InvoicePayment, verb: str) -> tuple[int, str]:
    status = PaymentStatus(payment.status)
    event_type = EventType.PAYMENT_ERROR if status == PaymentStatus.REJECTED else EventType.PAYMENT
    reference = f" ({payment.code_ext})" if payment.code_ext else ""
    return event_type, f"payment{reference} {verb}: {payment.amount_payed} {payment.invoice.currency_code}, {status.label}"


def _payment_event(payment: InvoicePayment, verb: str, actor) -> None:
    event_type, message = _payment_event_of(payment, verb)
    event_record(invoice=payment.invoice, event_type=event_type, message=message, actor=actor, reason=f"payment_{verb}")


def _new_payment(invoice: Invoice, data: dict) -> InvoicePayment:
    payment = InvoicePayment(invoice=invoice, status=PaymentStatus.ACCEPTED, date_payment=today())
    changes = {key: value for key, value in data.items() if key in EDITABLE}
    _apply(payment, changes)
    if changes.get("amount_received") is None:  # defaulted after validation: errors name what was sent
        payment.amount_received = payment.amount_payed
    return payment


@transaction.atomic
def payment_record(*, actor, invoice: Invoice, data: dict) -> InvoicePayment:
    invoice = invoice_lock(invoice.pk)
    ensure_payable(invoice)
    payment = _new_payment(invoice, data)
    _ensure_adds_up(invoice, payment)
    save_with_history(payment, actor=actor, reason="payment_record")
    _payment_event(payment, "recorded", actor)
    sync_payment_status(actor=actor, invoice=invoice)
    return payment


@dataclass
class PaymentOutcome:
    """What payments_record_bulk did with one request: the recorded payment, or the DomainError
    that refused it (nothing written for it)."""

    payment: InvoicePayment | None = None
    error: DomainError | None = None


@transaction.atomic
def payments_record_bulk(*, actor, requests: list[tuple[Invoice, dict]], reason: str = "payment_record"
                         ) -> list[PaymentOutcome]:
    """payment_record for many payments at once, in a constant number of queries whatever their
    number (bank statement imports): the invoices are locked together, each request is checked by
    the same rules as payment_record, in order (ensure_payable, the payment's fields, and
    ensure_payment_fits against the accepted payments, those recorded earlier in this batch
    included); a refused request gets its DomainError and writes nothing, the others are
    recorded with history and their PAYMENT event, then the invoices' totals and statuses are
    re-derived (sync_payment_status_bulk). One outcome per request, in order."""
    if not requests:
        return []
    invoices = invoices_lock({invoice.pk for invoice, _data in requests})
    accepted = dict.fromkeys(invoices, ZERO)
    for row in accepted_payments_of(invoices).values("invoice_id").annotate(total=Sum("amount_payed")):
        accepted[row["invoice_id"]] = row["total"] or ZERO
    outcomes, payments = [], []
    for invoice, data in requests:
        invoice = invoices.get(invoice.pk)
        try:
            if invoice is None:
                raise DomainError(CoreErrorCode.NOT_FOUND, "invoice not found", "invoice")
            ensure_payable(invoice)
            payment = _new_payment(invoice, data)
            if payment.status == PaymentStatus.ACCEPTED:
                ensure_payment_fits(amount_total=invoice.amount_total, accepted_others=accepted[invoice.pk],
                                    amount_payed=payment.amount_payed, overpayment=payment.overpayment)
        except DomainError as exc:
            outcomes.append(PaymentOutcome(error=exc))
            continue
        if payment.status == PaymentStatus.ACCEPTED:
            accepted[invoice.pk] += payment.amount_payed
        payments.append(payment)
        outcomes.append(PaymentOutcome(payment=payment))
    bulk_create_with_history(InvoicePayment, payments, actor=actor, reason=reason)
    events = []
    for payment in payments:
        event_type, message = _payment_event_of(payment, "recorded")
        events.append(InvoiceEvent(invoice=payment.invoice, event_type=event_type, message=message, user=actor))
    bulk_create_with_history(InvoiceEvent, events, actor=actor, reason="payment_recorded")
    touched = {payment.invoice_id for payment in payments}
    sync_payment_status_bulk(actor=actor, invoices=[invoice for pk, invoice in invoices.items() if pk in touched])
    return outcomes


@transaction.atomic
def payment_update(*, actor, payment: InvoicePayment, changes: dict, version: int | None = None) -> InvoicePayment:
    invoice = invoice_lock(payment.invoice_id)
    ensure_payable(invoice)
    payment = InvoicePayment.objects.select_for_update().get(pk=payment.pk)
    payment.invoice = invoice
    ensure_version(payment, version, "payment")
    _apply(payment, {key: value for key, value in changes.items() if key in EDITABLE})
    _ensure_adds_up(invoice, payment)
    save_with_history(payment, actor=actor, reason="payment_update")
    _payment_event(payment, "updated", actor)
    sync_payment_status(actor=actor, invoice=invoice)
    return payment


@transaction.atomic
def payment_delete(*, actor, payment: InvoicePayment, version: int | None = None) -> InvoicePayment:
    invoice = invoice_lock(payment.invoice_id)
    ensure_payable(invoice)
    payment = InvoicePayment.objects.select_for_update().get(pk=payment.pk)
    payment.invoice = invoice
    ensure_version(payment, version, "payment")
    payment.is_deleted = True
    save_with_history(payment, actor=actor, reason="payment_delete")
    _payment_event(payment, "deleted", actor)
    sync_payment_status(actor=actor, invoice=invoice)
    return payment
