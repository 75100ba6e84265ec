"""Pure checks on invoices, lines and payments. They raise DomainError; no database access."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from core import validation as core_validation
from core.error_codes import CoreErrorCode
from core.errors import DomainError, ErrorCollector
from core.money import line_gross, quantize
from invoice.constants import EDITABLE_STATUSES, PAYABLE_STATUSES, TRANSITIONS, DocumentType, InvoiceStatus
from invoice.error_codes import InvoiceErrorCode
from invoice.models import Invoice, InvoiceLineItem
from invoice.renderers.snapshot import PartySnapshot

ZERO = Decimal("0")
ONE = Decimal("1")
# Money columns hold 16 integer digits; a line's total (net + VAT at most 100 %) must fit.
MAX_LINE_GROSS = Decimal(10) ** 15


def status_name(status: int) -> str:
    return InvoiceStatus(status).label


def ensure_transition(invoice: Invoice, action: str, code: InvoiceErrorCode = InvoiceErrorCode.ILLEGAL_TRANSITION) -> int:
    """Return the status `action` leads to from the invoice's status, or raise."""
    target = TRANSITIONS[action].get(invoice.status)
    if target is None:
        allowed = ", ".join(status_name(s) for s in TRANSITIONS[action]) or "none"
        raise DomainError(
            code,
            f"cannot {action.replace('_', ' ')} an invoice in status {status_name(invoice.status)} (allowed from: {allowed})",
            "status",
        )
    return target


def ensure_editable(invoice: Invoice) -> None:
    if invoice.status not in EDITABLE_STATUSES:
        raise DomainError(
            InvoiceErrorCode.NOT_EDITABLE,
            f"invoice {invoice.code or invoice.pk} is {status_name(invoice.status)}: only drafts can be changed",
            "status",
        )


def ensure_payable(invoice: Invoice) -> None:
    if invoice.document_type == DocumentType.CREDIT_NOTE or invoice.status not in PAYABLE_STATUSES:
        what = "a credit note" if invoice.document_type == DocumentType.CREDIT_NOTE else f"an invoice in status {status_name(invoice.status)}"
        raise DomainError(InvoiceErrorCode.NOT_PAYABLE, f"payments cannot be recorded on {what}", "invoice")


def ensure_period(date_from: date | None, date_to: date | None) -> None:
    if date_from and date_to and date_to < date_from:
        raise DomainError(
            InvoiceErrorCode.INVALID_PERIOD, f"period end {date_to} is before its start {date_from}", "dateValidTo"
        )


def ensure_fits(number: Decimal, field: str, *, places: int, digits: int, label: str | None = None) -> Decimal:
    """The value fits its column (max digits, decimal places): stored as computed, never rounded
    or overflowing on save."""
    label = label or field
    limit = Decimal(10) ** (digits - places)
    if abs(number) >= limit:
        raise DomainError(CoreErrorCode.OUT_OF_RANGE, f"{label} must be < {limit}, got {number}", field)
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise DomainError(CoreErrorCode.INVALID, f"{label} has at most {places} decimals, got {number}", field)
    return number


def _decimal(value, field: str, *, places: int, digits: int = 18, label: str | None = None, **bounds) -> Decimal:
    number = core_validation.ensure_decimal(value, field, label=label, **bounds)
    return ensure_fits(number, field, places=places, digits=digits, label=label)


def ensure_line_amounts(*, quantity, unit_price, discount, deduction, currency: str) -> dict[str, Decimal]:
    """Check and parse a line's numbers (every bad field reported at once)."""
    check = ErrorCollector()
    values = {
        "quantity": check.check(_decimal, quantity, "quantity", places=4, minimum=ZERO),
        "unit_price": check.check(_decimal, unit_price, "unitPrice", places=4, minimum=ZERO, label="unit price"),
        "discount": check.check(_decimal, discount, "discount", places=4, digits=5, minimum=ZERO, maximum=ONE),
        "deduction": check.check(_decimal, deduction, "deduction", places=2, minimum=ZERO),
    }
    check.raise_if_any()
    gross = line_gross(values["unit_price"], values["quantity"])
    if gross >= MAX_LINE_GROSS:
        raise DomainError(
            CoreErrorCode.OUT_OF_RANGE, f"unit price × quantity must be < {MAX_LINE_GROSS}, got {gross}", "quantity"
        )
    after_discount = quantize(gross * (ONE - values["discount"]), currency)
    if values["deduction"] > after_discount:
        raise DomainError(
            InvoiceErrorCode.DEDUCTION_EXCEEDS_GROSS,
            f"deduction {values['deduction']} exceeds the discounted gross amount {after_discount}",
            "deduction",
        )
    return values


def ensure_payment_amounts(*, amount_payed, fees, amount_received) -> dict[str, Decimal]:
    check = ErrorCollector()
    values = {
        "amount_payed": check.check(_decimal, amount_payed, "amountPayed", places=2, minimum=ZERO, label="amount payed"),
        "fees": check.check(_decimal, fees, "fees", places=2, minimum=ZERO),
        "amount_received": check.check(_decimal, amount_received, "amountReceived", places=2, minimum=ZERO,
                                       label="amount received"),
    }
    if values["amount_payed"] is not None and values["amount_payed"] == ZERO:
        check.errors.append(DomainError(InvoiceErrorCode.ZERO_PAYMENT, "a payment must be > 0, got 0", "amountPayed"))
    check.raise_if_any()
    return values


def ensure_payment_date(date_payment: date | None, today: date) -> None:
    if date_payment is not None and date_payment > today:
        raise DomainError(InvoiceErrorCode.DATE_IN_FUTURE,
                          f"payment date {date_payment:%d/%m/%Y} is after today ({today:%d/%m/%Y})", "datePayment")


def ensure_payment_fits(*, amount_total: Decimal, accepted_others: Decimal, amount_payed: Decimal,
                        overpayment: bool) -> None:
    """Accepted payments add up to at most the invoice's total, unless this payment is explicitly an
    overpayment (`overpayment`: the excess is owed back to the buyer, see Invoice.amount_to_refund)."""
    if overpayment or accepted_others + amount_payed <= amount_total:
        return
    room = max(amount_total - accepted_others, ZERO)
    raise DomainError(
        InvoiceErrorCode.OVERPAYMENT,
        f"accepted payments would reach {accepted_others + amount_payed} for a total of {amount_total}: at most {room} "
        "can still be accepted (record the payment with overpayment: true to keep the excess as owed to the buyer)",
        "amountPayed",
    )


# -- issuing (DRAFT → VALIDATED, and credit notes) ------------------------------------------------

_COUNTRY = re.compile(r"[A-Z]{2}")
# What a buyer must carry, as the renderers read it (PartySnapshot): EN 16931 BR-07 (name), BR-10
# (postal address: line, post code, city), BR-11 (country), and the French CTC BR-FR-12 (BT-49,
# the electronic address, rendered as ram:URIUniversalCommunication/ram:URIID schemeID="EM").
BUYER_FIELDS = (("name", "name", "BR-07"), ("address_line1", "addressLine1", "BR-10"),
                ("postal_code", "postalCode", "BR-10"), ("city", "city", "BR-10"))


def ensure_buyer(buyer: PartySnapshot | None, check: ErrorCollector) -> None:
    if buyer is None:
        check.errors.append(DomainError(InvoiceErrorCode.BUYER_REQUIRED,
                                        "an invoice needs a buyer (thirdparty) to be issued", "thirdpartyId"))
        return
    for name, label, rule in BUYER_FIELDS:
        if not str(getattr(buyer, name) or "").strip():
            check.errors.append(DomainError(InvoiceErrorCode.BUYER_INCOMPLETE,
                                            f"the buyer has no {label} (EN 16931 {rule})", f"thirdparty.{label}"))
    if not _COUNTRY.fullmatch(buyer.country_code or ""):
        check.errors.append(DomainError(InvoiceErrorCode.BUYER_INCOMPLETE,
                                        f"the buyer's country must be an ISO 3166 code of 2 letters, got "
                                        f"{buyer.country_code!r} (EN 16931 BR-11)", "thirdparty.countryCode"))
    if not (buyer.email or "").strip():
        check.errors.append(DomainError(InvoiceErrorCode.BUYER_NO_ELECTRONIC_ADDRESS,
                                        "the buyer has no e-mail address, its electronic address (BT-49) required by "
                                        "the French CTC rules (BR-FR-12)", "thirdparty.email"))


def ensure_issue_dates(*, date_invoice: date, date_due: date | None, last_issued_on: date | None, today: date,
                       check: ErrorCollector) -> None:
    """Numbering is continuous and chronological: the issue date is not in the future and not before
    the last invoice already issued in the same series (organisation and year); due ≥ issue date."""
    if date_invoice > today:
        check.errors.append(DomainError(InvoiceErrorCode.DATE_IN_FUTURE,
                                        f"issue date {date_invoice:%d/%m/%Y} is after today ({today:%d/%m/%Y})",
                                        "dateInvoice"))
    elif last_issued_on is not None and date_invoice < last_issued_on:
        check.errors.append(DomainError(InvoiceErrorCode.NOT_CHRONOLOGICAL,
                                        f"issue date {date_invoice:%d/%m/%Y} is before {last_issued_on:%d/%m/%Y}, the "
                                        f"date of the last invoice issued in the {date_invoice.year} series: numbers "
                                        "follow issue dates", "dateInvoice"))
    if date_due is not None and date_due < date_invoice:
        check.errors.append(DomainError(InvoiceErrorCode.DUE_BEFORE_ISSUE,
                                        f"due date {date_due:%d/%m/%Y} is before the issue date {date_invoice:%d/%m/%Y}",
                                        "dateDue"))


def ensure_issuable(*, invoice: Invoice, lines: list[InvoiceLineItem], buyer: PartySnapshot | None,
                    buyer_errors: list[DomainError] = (), last_issued_on: date | None, today: date) -> None:
    """Everything an invoice must satisfy to be issued, every failure reported at once (nothing is
    written when this raises). The caller reads the buyer (as the renderers will see it) and the
    date of the series' last issued invoice under the sequence lock."""
    check = ErrorCollector()
    check.errors.extend(buyer_errors)
    if not buyer_errors:
        ensure_buyer(buyer, check)
    for position, line in enumerate(lines):
        if line.unit_price is None or line.unit_price <= ZERO:
            check.errors.append(DomainError(
                InvoiceErrorCode.LINE_WITHOUT_PRICE,
                f"line {position + 1} ({line.code or line.description[:40] or 'no code'}) has no price: give a unit price "
                "(a free item is a priced line with discount 1)", f"lineItems.{position}.unitPrice"))
    if lines and invoice.amount_total == ZERO and not (invoice.zero_total_reason or "").strip():
        check.errors.append(DomainError(InvoiceErrorCode.ZERO_TOTAL,
                                        "the invoice's total is 0: give the reason in zeroTotalReason", "amountTotal"))
    ensure_issue_dates(date_invoice=invoice.date_invoice, date_due=invoice.date_due, last_issued_on=last_issued_on,
                       today=today, check=check)
    check.raise_if_any()
