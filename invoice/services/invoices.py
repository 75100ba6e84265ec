"""Writes on invoices: create, update, validate, cancel (credit note), delete, and the status
follow-up of payments. Each is atomic, locks the invoice, records history and events."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from core import pickers
from core.calculation import ensure_vat_coherence, get_rules
from core.errors import DomainError, ErrorCollector
from core.history import (
    bulk_create_with_history,
    bulk_update_with_history,
    ensure_version,
    save_with_history,
)
from core.money import ZERO, quantize
from core.validation import ensure_currency, ensure_max_length
from invoice import hooks
from invoice.calculation import compute_line, compute_totals
from invoice.constants import DocumentType, EventType, InvoiceStatus
from invoice.error_codes import InvoiceErrorCode
from invoice.models import Invoice, InvoiceEvent, InvoiceLineItem
from invoice.numbering import (
    is_series_number,
    last_issue_date,
    lock_sequence,
    take_number,
)
from invoice.renderers.snapshot import PartySnapshot
from invoice.selectors import (
    accepted_payments,
    accepted_payments_of,
    active_lines,
    invoice_lock,
    is_past_due,
    party_snapshot,
)
from invoice.services.events import event_record
from invoice.validation import (
    ensure_editable,
    ensure_issuable,
    ensure_issue_dates,
    ensure_period,
    ensure_transition,
    status_name,
)

# Client-editable header fields → (camelCase name, max length or None).
EDITABLE_FIELDS = {
    "code": ("code", 64), "code_tp": ("codeTp", 255), "code_ext": ("codeExt", 255),
    "date_due": ("dateDue", None), "date_invoice": ("dateInvoice", None),
    "date_valid_from": ("dateValidFrom", None), "date_valid_to": ("dateValidTo", None),
    "currency_code": ("currencyCode", None), "currency_tp_code": ("currencyTpCode", None),
    "note": ("note", 20000), "terms": ("terms", 20000), "payment_reference": ("paymentReference", 255),
    "zero_total_reason": ("zeroTotalReason", 2000), "json_ext": ("jsonExt", None),
}
REFERENCE_FIELDS = ("subject_type", "subject_id", "thirdparty_type", "thirdparty_id")


def today() -> date:
    return timezone.localdate()


def _validate_header(invoice: Invoice, changes: dict) -> None:
    """Check and apply client changes to a draft (every error reported at once)."""
    check = ErrorCollector()
    changes = {  # currencies are stored upper-case: check them as they will be stored
        name: value.strip().upper() if name in ("currency_code", "currency_tp_code") and isinstance(value, str) else value
        for name, value in changes.items()
    }
    unknown = set(changes) - set(EDITABLE_FIELDS) - set(REFERENCE_FIELDS)
    if unknown:
        raise DomainError(InvoiceErrorCode.NOT_EDITABLE, f"fields not editable: {', '.join(sorted(unknown))}")
    for name, (label, limit) in EDITABLE_FIELDS.items():
        if name in changes and limit is not None and changes[name] is not None:
            check.check(ensure_max_length, changes[name], limit, label)
    if isinstance(changes.get("code"), str) and is_series_number(invoice.organization.invoice_number_prefix, changes["code"]):
        check.errors.append(DomainError(InvoiceErrorCode.RESERVED_CODE,
                              f"{changes['code'].strip()!r} has the shape of an invoice number "
                              f"({invoice.organization.invoice_number_prefix}-YYYY-NNNNNN): numbers are given at "
                              "validation; use another code, or codeExt for an external number", "code"))
    if "currency_code" in changes:
        check.check(ensure_currency, changes["currency_code"], "currencyCode")
    if changes.get("currency_tp_code"):
        check.check(ensure_currency, changes["currency_tp_code"], "currencyTpCode")
    for role, type_key, id_key in (
        (pickers.SUBJECT, "subject_type", "subject_id"), (pickers.THIRDPARTY, "thirdparty_type", "thirdparty_id")
    ):
        if type_key in changes or id_key in changes:
            type_code, object_id = changes.get(type_key), changes.get(id_key)
            if type_code in (None, "") and object_id in (None, ""):
                setattr(invoice, f"{role}_type", None)
                setattr(invoice, f"{role}_id", None)
                continue
            resolved = check.check(
                pickers.resolve, invoice.organization, role, type_code, object_id,
                type_field=f"{role}Type", id_field=f"{role}Id",
            )
            if resolved is not None:
                content_type, obj = resolved
                setattr(invoice, f"{role}_type", content_type)
                setattr(invoice, f"{role}_id", obj.pk)
    check.raise_if_any()
    for name in EDITABLE_FIELDS:
        if name in changes:
            value = changes[name]
            if isinstance(value, str):
                value = value.strip()
                if name in ("currency_code", "currency_tp_code"):
                    value = value.upper()
            setattr(invoice, name, "" if value is None and name not in ("date_due", "date_invoice", "date_valid_from", "date_valid_to", "json_ext") else value)
    ensure_period(invoice.date_valid_from, invoice.date_valid_to)


def _save_header(invoice: Invoice, *, actor, reason: str) -> None:
    try:
        with transaction.atomic():
            save_with_history(invoice, actor=actor, reason=reason)
    except IntegrityError:
        if invoice.code and Invoice.objects.filter(organization=invoice.organization, code=invoice.code).exclude(pk=invoice.pk).exists():
            raise DomainError(InvoiceErrorCode.DUPLICATE_CODE, f"invoice code {invoice.code!r} is already used", "code") from None
        raise


def _status_message(old: int, new: int, note: str = "") -> str:
    return f"status {status_name(old)} → {status_name(new)}" + (f": {note}" if note else "")


def _status_event(invoice: Invoice, old: int, actor, note: str = "", **context) -> None:
    """Every status change of a saved invoice ends here: its STATUS event, then the hooks other
    modules registered (invoice.hooks), in the same transaction."""
    message = _status_message(old, invoice.status, note)
    event_record(invoice=invoice, event_type=EventType.STATUS, message=message, actor=actor, reason="status_change")
    hooks.invoice_status_changed(invoice, old=old, new=invoice.status, actor=actor, **context)


@transaction.atomic
def invoice_transition(*, actor, invoice: Invoice, action: str, note: str = "") -> Invoice:
    """A status change that has no service of its own (e.g. `mark_unpaid` by the overdue run),
    through the transition table, with its history row, STATUS event and status hooks."""
    invoice = invoice_lock(invoice.pk)
    old, invoice.status = invoice.status, ensure_transition(invoice, action)
    save_with_history(invoice, actor=actor, reason=f"invoice_{action}")
    _status_event(invoice, old, actor, note)
    return invoice


@transaction.atomic
def invoice_create(*, actor, organization, data: dict) -> Invoice:
    changes = {key: value for key, value in data.items() if value is not None}
    invoice = Invoice(organization=organization, status=InvoiceStatus.DRAFT, document_type=DocumentType.INVOICE,
                      currency_code=organization.currency_code)
    _validate_header(invoice, changes)
    invoice.date_invoice = invoice.date_invoice or today()
    if invoice.date_due is None:
        invoice.date_due = invoice.date_invoice + timedelta(days=organization.payment_days)
    compute_totals(invoice, [], {})
    _save_header(invoice, actor=actor, reason="invoice_create")
    event_record(invoice=invoice, event_type=EventType.STATUS, message="draft created", actor=actor, reason="invoice_create")
    return invoice


@transaction.atomic
def invoice_update(*, actor, invoice: Invoice, changes: dict, version: int | None = None) -> Invoice:
    invoice = invoice_lock(invoice.pk)
    ensure_editable(invoice)
    ensure_version(invoice, version, "invoice")
    _validate_header(invoice, changes)
    if "currency_code" in changes:
        # Amounts are rounded to the currency's minor unit: the lines' stored amounts change too.
        _recompute_and_save_lines(invoice, actor=actor, reason="invoice_update")
    _save_header(invoice, actor=actor, reason="invoice_update")
    return invoice


def _recompute_and_save_lines(invoice: Invoice, *, actor, reason: str) -> None:
    def amounts(line: InvoiceLineItem) -> tuple:
        return line.amount_net, line.amount_total, line.tax_analysis

    before = {line.pk: amounts(line) for line in active_lines(invoice)}
    for line in recompute_invoice(invoice):
        if amounts(line) != before[line.pk]:
            save_with_history(line, actor=actor, reason=reason)


def recompute_invoice(invoice: Invoice) -> list[InvoiceLineItem]:
    """Recompute every line and the totals of a draft in memory (caller saves)."""
    lines = active_lines(invoice)
    rules = get_rules(invoice.organization, {line.tax_rate for line in lines})
    for line in lines:
        compute_line(line, rules.get(line.tax_rate), invoice.currency_code)
    compute_totals(invoice, lines, rules)
    return lines


def buyer_of(invoice: Invoice) -> tuple[object | None, PartySnapshot | None, list[DomainError]]:
    """The invoice's buyer: the object, the party as the renderers will read it, or the errors that
    make it no buyer: a thirdparty of a type that may not be a buyer (pickers role `thirdparty`), or
    one that no longer exists in the organisation."""
    if invoice.thirdparty_type_id is None or invoice.thirdparty_id is None:
        return None, None, []
    content_type = ContentType.objects.get_for_id(invoice.thirdparty_type_id)  # cached: no query
    model = content_type.model_class()
    picker = pickers.type_for_model(model) if model is not None else None
    if picker is None or pickers.THIRDPARTY not in picker.roles:
        allowed = ", ".join(sorted(p.code for p in pickers.picker_types(pickers.THIRDPARTY)))
        return None, None, [DomainError(InvoiceErrorCode.BUYER_TYPE_NOT_ALLOWED,
                                  f"a {content_type.model} cannot be the buyer of an invoice (it has no "
                                  f"postal or electronic address); buyers are: {allowed}", "thirdpartyType")]
    obj = picker.queryset(invoice.organization).filter(pk=invoice.thirdparty_id).first()
    if obj is None:
        return None, None, [DomainError(InvoiceErrorCode.BUYER_REQUIRED,
                                  f"the buyer {picker.code} {invoice.thirdparty_id} no longer exists", "thirdpartyId")]
    return obj, party_snapshot(obj), []


@transaction.atomic
def invoice_validate(*, actor, invoice: Invoice, version: int | None = None) -> Invoice:
    """Issue a draft. Every legal check runs first (validation.ensure_issuable: buyer, prices,
    total, dates and chronology), all failures reported together; then the number is taken from
    the locked sequence row. Billing's generate_operator_invoice issues through here too."""
    invoice = invoice_lock(invoice.pk)
    ensure_version(invoice, version, "invoice")
    target = ensure_transition(invoice, "validate")
    lines = active_lines(invoice)
    if not lines:
        raise DomainError(InvoiceErrorCode.NO_LINES, "an invoice needs at least one line to be validated", "lineItems")
    rules = get_rules(invoice.organization, {line.tax_rate for line in lines})
    buyer_object, buyer, buyer_errors = buyer_of(invoice)  # loaded once, for both checks
    ensure_vat_coherence(invoice.organization, [rules.get(line.tax_rate) for line in lines], buyer=buyer_object)
    compute_totals(invoice, lines, rules)
    invoice.date_invoice = invoice.date_invoice or today()
    if invoice.date_due is None:
        invoice.date_due = invoice.date_invoice + timedelta(days=invoice.organization.payment_days)
    sequence, last_issued_on = None, None
    if invoice.date_invoice <= today():  # a future year's series is not even created
        sequence = lock_sequence(invoice.organization, invoice.date_invoice.year)
        last_issued_on = last_issue_date(invoice.organization, invoice.date_invoice.year)
    ensure_issuable(invoice=invoice, lines=lines, buyer=buyer, buyer_errors=buyer_errors,
                    last_issued_on=last_issued_on, today=today())
    # Last step before saving: the number is taken from the locked sequence row.
    invoice.code = take_number(invoice.organization, sequence)
    if not invoice.payment_reference:
        invoice.payment_reference = invoice.code
    old, invoice.status = invoice.status, target
    _save_header(invoice, actor=actor, reason="invoice_validate")
    _status_event(invoice, old, actor, f"number {invoice.code}")
    return invoice


@transaction.atomic
def invoice_cancel(*, actor, invoice: Invoice, version: int | None = None, reason: str = "") -> tuple[Invoice, Invoice]:
    """Cancel an issued invoice by a credit note: a validated CREDIT_NOTE invoice, numbered in the
    same series, whose lines are the negatives of the original's. Returns (invoice, credit note)."""
    invoice = invoice_lock(invoice.pk)
    ensure_version(invoice, version, "invoice")
    if invoice.document_type == DocumentType.CREDIT_NOTE:
        raise DomainError(InvoiceErrorCode.ILLEGAL_TRANSITION, "a credit note cannot be cancelled", "documentType")
    # Checked before the transition: a PAID invoice cannot be cancelled because of its payments.
    if invoice.amount_payed > ZERO:
        raise DomainError(
            InvoiceErrorCode.HAS_PAYMENTS,
            f"invoice {invoice.code} has {invoice.amount_payed} of accepted payments: refund or cancel them first",
            "amountPayed",
        )
    target = ensure_transition(invoice, "cancel")
    ensure_max_length(reason, 2000, "reason")
    credit = Invoice(
        organization=invoice.organization, document_type=DocumentType.CREDIT_NOTE, related_invoice=invoice,
        subject_type_id=invoice.subject_type_id, subject_id=invoice.subject_id,
        thirdparty_type_id=invoice.thirdparty_type_id, thirdparty_id=invoice.thirdparty_id,
        code_tp=invoice.code_tp, date_invoice=today(), date_due=today(),
        date_valid_from=invoice.date_valid_from, date_valid_to=invoice.date_valid_to,
        currency_code=invoice.currency_code, currency_tp_code=invoice.currency_tp_code,
        note=(f"Avoir annulant la facture {invoice.code}" + (f" : {reason}" if reason else "")),
        terms=invoice.terms, status=InvoiceStatus.VALIDATED,
    )
    originals = active_lines(invoice)
    rules = get_rules(invoice.organization, {line.tax_rate for line in originals})
    credit_lines = [_mirror_line(line) for line in originals]
    compute_totals(credit, credit_lines, rules)
    sequence = lock_sequence(invoice.organization, credit.date_invoice.year)
    check = ErrorCollector()
    ensure_issue_dates(date_invoice=credit.date_invoice, date_due=credit.date_due, today=today(), check=check,
                       last_issued_on=last_issue_date(invoice.organization, credit.date_invoice.year))
    check.raise_if_any()
    credit.code = take_number(invoice.organization, sequence)
    credit.payment_reference = credit.code
    _save_header(credit, actor=actor, reason="invoice_cancel")
    for copy in credit_lines:
        copy.invoice = credit
        save_with_history(copy, actor=actor, reason="invoice_cancel")
    event_record(invoice=credit, event_type=EventType.STATUS, actor=actor, reason="invoice_cancel",
                 message=f"credit note {credit.code} issued for invoice {invoice.code}")
    old, invoice.status = invoice.status, target
    _save_header(invoice, actor=actor, reason="invoice_cancel")
    _status_event(invoice, old, actor, f"credit note {credit.code}" + (f" ({reason})" if reason else ""),
                  credit_note=credit)
    return invoice, credit


def _mirror_line(line: InvoiceLineItem) -> InvoiceLineItem:
    """The credit-note copy of a line: same references, price, discount and deduction, quantity
    negated, and amounts the exact negatives of the original's (so VAT per rule mirrors too)."""
    return InvoiceLineItem(
        line_type_id=line.line_type_id, line_id=line.line_id, code=line.code, description=line.description,
        details=line.details, ledger_account=line.ledger_account, quantity=-line.quantity,
        unit_price=line.unit_price, discount=line.discount, deduction=line.deduction, tax_rate=line.tax_rate,
        date_valid_from=line.date_valid_from, date_valid_to=line.date_valid_to,
        amount_net=-line.amount_net, amount_total=-line.amount_total, tax_analysis=_negated(line.tax_analysis),
    )


def _negated(analysis: dict | None) -> dict | None:
    if not analysis:
        return analysis
    negate = lambda value: str(-Decimal(value))  # noqa: E731
    return {
        "lines": [dict(line, base=negate(line["base"]), amount=negate(line["amount"])) for line in analysis["lines"]],
        "total": negate(analysis["total"]),
    }


@transaction.atomic
def invoice_delete(*, actor, invoice: Invoice, version: int | None = None) -> Invoice:
    invoice = invoice_lock(invoice.pk)
    ensure_version(invoice, version, "invoice")
    target = ensure_transition(invoice, "delete", InvoiceErrorCode.NOT_DELETABLE)
    old, invoice.status, invoice.is_deleted = invoice.status, target, True
    _save_header(invoice, actor=actor, reason="invoice_delete")
    _status_event(invoice, old, actor)
    return invoice


def _apply_payment_totals(invoice: Invoice, *, total, count: int, last_date) -> int | None:
    """The one rule of a payment change: amount_payed = Σ accepted payments; PAID when they cover
    the total (date_payed = the last accepted payment's date), back to VALIDATED (or UNPAID when
    overdue) when they no longer do. Changes `invoice` in memory; returns its old status when the
    invoice changed (None when nothing did, e.g. after a rejected payment)."""
    paid = quantize(total or ZERO, invoice.currency_code)
    old_status, previous_paid = invoice.status, invoice.amount_payed
    invoice.amount_payed = paid
    covered = count > 0 and paid >= invoice.amount_total  # a 0 total needs an accepted payment
    if covered and invoice.status != InvoiceStatus.PAID and invoice.status in (
        InvoiceStatus.VALIDATED, InvoiceStatus.UNPAID, InvoiceStatus.SUSPENDED
    ):
        invoice.status = ensure_transition(invoice, "pay")
        invoice.date_payed = last_date or today()
    elif not covered and invoice.status == InvoiceStatus.PAID:
        invoice.status = ensure_transition(invoice, "unpay_overdue" if is_past_due(invoice, today()) else "unpay")
        invoice.date_payed = None
    if (invoice.amount_payed, invoice.status) == (previous_paid, old_status):
        return None
    return old_status


def sync_payment_status(*, actor, invoice: Invoice) -> Invoice:
    """After a payment change: re-derive the invoice's amount_payed and status (_apply_payment_totals)."""
    totals = accepted_payments(invoice).aggregate(total=Sum("amount_payed"), count=Count("id"), last=Max("date_payment"))
    old_status = _apply_payment_totals(invoice, total=totals["total"], count=totals["count"], last_date=totals["last"])
    if old_status is None:
        return invoice
    save_with_history(invoice, actor=actor, reason="payment_sync")
    if invoice.status != old_status:
        _status_event(invoice, old_status, actor, f"paid {invoice.amount_payed} of {invoice.amount_total}")
    return invoice


def sync_payment_status_bulk(*, actor, invoices: list[Invoice]) -> list[Invoice]:
    """sync_payment_status for many locked invoices in a constant number of queries (one
    aggregate, bulk writes of the changed invoices, their history and STATUS events); the status
    hooks run per changed invoice, as _status_event runs them. Returns the changed invoices."""
    if not invoices:
        return []
    totals = {row["invoice_id"]: row for row in accepted_payments_of([invoice.pk for invoice in invoices])
              .values("invoice_id").annotate(total=Sum("amount_payed"), count=Count("id"), last=Max("date_payment"))}
    changed, moved = [], []
    for invoice in invoices:
        row = totals.get(invoice.pk, {"total": ZERO, "count": 0, "last": None})
        old_status = _apply_payment_totals(invoice, total=row["total"], count=row["count"], last_date=row["last"])
        if old_status is not None:
            changed.append(invoice)
            if invoice.status != old_status:
                moved.append((invoice, old_status))
    bulk_update_with_history(Invoice, changed, fields=["amount_payed", "status", "date_payed"], actor=actor,
                             reason="payment_sync")
    events = [InvoiceEvent(invoice=invoice, event_type=EventType.STATUS, user=actor,
                           message=_status_message(old, invoice.status, f"paid {invoice.amount_payed} of "
                                                                        f"{invoice.amount_total}"))
              for invoice, old in moved]
    bulk_create_with_history(InvoiceEvent, events, actor=actor, reason="status_change")
    for invoice, old in moved:
        hooks.invoice_status_changed(invoice, old=old, new=invoice.status, actor=actor)
    return changed
