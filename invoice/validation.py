"""Pure checks on invoices, lines and payments. They raise DomainError; no database access."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from core import validation as core_validation
from core.errors import DomainError, ErrorCollector
from core.money import line_gross, quantize
from invoice.constants import EDITABLE_STATUSES, PAYABLE_STATUSES, TRANSITIONS, DocumentType, InvoiceStatus
from invoice.error_codes import InvoiceErrorCode
from invoice.models import Invoice

ZERO = Decimal("0")
ONE = Decimal("1")


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


def ensure_line_amounts(*, quantity, unit_price, discount, deduction, currency: str) -> dict[str, Decimal]:
    """Check and parse a line's numbers (every bad field reported at once)."""
    check = ErrorCollector()
    values = {
        "quantity": check.check(core_validation.ensure_decimal, quantity, "quantity", minimum=ZERO),
        "unit_price": check.check(core_validation.ensure_decimal, unit_price, "unitPrice", minimum=ZERO, label="unit price"),
        "discount": check.check(core_validation.ensure_decimal, discount, "discount", minimum=ZERO, maximum=ONE),
        "deduction": check.check(core_validation.ensure_decimal, deduction, "deduction", minimum=ZERO),
    }
    check.raise_if_any()
    after_discount = quantize(line_gross(values["unit_price"], values["quantity"]) * (ONE - values["discount"]), currency)
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
        "amount_payed": check.check(core_validation.ensure_decimal, amount_payed, "amountPayed", minimum=ZERO, label="amount payed"),
        "fees": check.check(core_validation.ensure_decimal, fees, "fees", minimum=ZERO),
        "amount_received": check.check(core_validation.ensure_decimal, amount_received, "amountReceived", minimum=ZERO, label="amount received"),
    }
    check.raise_if_any()
    return values
