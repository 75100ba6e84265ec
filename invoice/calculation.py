"""Amounts of lines and invoices, derived on the server only. Rounding rules: core/money.py."""
from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from core.calculation import CalculationRule
from core.money import ZERO, line_gross, line_net, quantize, vat_breakdown
from invoice.models import Invoice, InvoiceLineItem


def compute_line(line: InvoiceLineItem, rule: CalculationRule | None, currency: str) -> None:
    line.amount_net = line_net(line.unit_price, line.quantity, line.discount, line.deduction, currency)
    analysis = vat_breakdown([(rule, line.amount_net)] if rule else [], currency)
    line.tax_analysis = analysis.as_json()
    line.amount_total = line.amount_net + analysis.total


def line_reduction(line: InvoiceLineItem, currency: str) -> Decimal:
    """What discount and deduction took off the line's gross amount."""
    return quantize(line_gross(line.unit_price, line.quantity), currency) - line.amount_net


def compute_totals(invoice: Invoice, lines: Iterable[InvoiceLineItem], rules: dict) -> None:
    """Invoice amounts from its (already computed) lines: VAT per rule on summed bases."""
    lines = list(lines)
    currency = invoice.currency_code
    invoice.amount_net = sum((line.amount_net for line in lines), ZERO)
    invoice.amount_discount = sum((line_reduction(line, currency) for line in lines), ZERO)
    analysis = vat_breakdown(
        [(rules[line.tax_rate], line.amount_net) for line in lines if line.tax_rate is not None], currency
    )
    invoice.tax_analysis = analysis.as_json()
    invoice.amount_total = invoice.amount_net + analysis.total
