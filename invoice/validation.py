"""Pure checks on invoices, lines and payments. They raise DomainError; no database access."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from core import validation as core_validation
from core.error_codes import CoreErrorCode
from core.errors import DomainError, ErrorCollector
from core.money import line_gross, quantize
from invoice.constants import EDITABLE_STATUSES, PAYABLE_STATUSES, TRANSITIONS, DocumentType, InvoiceStatus
from invoice.error_codes import InvoiceErrorCode
from invoice.models import Invoice

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
    check.raise_if_any()
    return values
