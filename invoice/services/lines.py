"""Writes on invoice lines. Only a draft's lines change; each change recomputes the invoice."""
from __future__ import annotations

import json
from decimal import Decimal

from django.db import transaction

from core import pickers
from core.calculation import default_rule_id, get_rule
from core.errors import ErrorCollector
from core.history import ensure_version, save_with_history
from core.validation import ensure_max_length
from invoice.calculation import compute_line
from invoice.models import Invoice, InvoiceLineItem
from invoice.selectors import invoice_lock
from invoice.services.invoices import recompute_invoice
from invoice.validation import ensure_editable, ensure_line_amounts, ensure_period

TEXT_FIELDS = {"code": ("code", 255), "description": ("description", 20000), "ledger_account": ("ledgerAccount", 64)}
EDITABLE = set(TEXT_FIELDS) | {
    "quantity", "unit_price", "discount", "deduction", "tax_rate", "details", "line_type", "line_id",
    "date_valid_from", "date_valid_to", "json_ext",
}
DEFAULTS = {"quantity": Decimal("1"), "unit_price": Decimal("0"), "discount": Decimal("0"), "deduction": Decimal("0")}


def wrap_details(details):
    """Lines' details are JSON; plain text is stored as {"text": ...}."""
    if details is None or isinstance(details, (dict, list)):
        return details
    if isinstance(details, str):
        try:
            parsed = json.loads(details)
        except ValueError:
            return {"text": details}
        return parsed if isinstance(parsed, (dict, list)) else {"text": details}
    return {"text": str(details)}


def _apply(line: InvoiceLineItem, invoice: Invoice, changes: dict) -> None:
    check = ErrorCollector()
    for name, (label, limit) in TEXT_FIELDS.items():
        if changes.get(name) is not None:
            check.check(ensure_max_length, changes[name], limit, label)
    merged = {name: changes.get(name, getattr(line, name)) for name in DEFAULTS}
    merged = {name: DEFAULTS[name] if value is None else value for name, value in merged.items()}
    amounts = check.check(ensure_line_amounts, currency=invoice.currency_code, **merged)
    if "tax_rate" in changes or line.tax_rate is None:
        rule_id = changes.get("tax_rate") or line.tax_rate or default_rule_id(invoice.organization)
        rule = check.check(get_rule, invoice.organization, rule_id, "taxRate")
        if rule is not None:
            line.tax_rate = rule.id
    if "line_type" in changes or "line_id" in changes:
        if changes.get("line_type") in (None, "") and changes.get("line_id") in (None, ""):
            line.line_type, line.line_id = None, None
        else:
            resolved = check.check(pickers.resolve, invoice.organization, pickers.LINE, changes.get("line_type"),
                                   changes.get("line_id"), type_field="lineType", id_field="lineId")
            if resolved is not None:
                line.line_type, line.line_id = resolved[0], resolved[1].pk
    check.raise_if_any()
    for name, value in (amounts or {}).items():
        setattr(line, name, value)
    for name in TEXT_FIELDS:
        if name in changes:
            setattr(line, name, (changes[name] or "").strip())
    if "details" in changes:
        line.details = wrap_details(changes["details"])
    for name in ("date_valid_from", "date_valid_to", "json_ext"):
        if name in changes:
            setattr(line, name, changes[name])
    ensure_period(line.date_valid_from, line.date_valid_to)


def _refresh_invoice(invoice: Invoice, *, actor, reason: str) -> None:
    recompute_invoice(invoice)
    save_with_history(invoice, actor=actor, reason=reason)


@transaction.atomic
def line_add(*, actor, invoice: Invoice, data: dict) -> InvoiceLineItem:
    invoice = invoice_lock(invoice.pk)
    ensure_editable(invoice)
    line = InvoiceLineItem(invoice=invoice)
    _apply(line, invoice, {key: value for key, value in data.items() if key in EDITABLE})
    compute_line(line, get_rule(invoice.organization, line.tax_rate), invoice.currency_code)
    save_with_history(line, actor=actor, reason="line_add")
    _refresh_invoice(invoice, actor=actor, reason="line_add")
    return line


@transaction.atomic
def line_update(*, actor, line: InvoiceLineItem, changes: dict, version: int | None = None) -> InvoiceLineItem:
    invoice = invoice_lock(line.invoice_id)
    ensure_editable(invoice)
    line = InvoiceLineItem.objects.select_for_update().get(pk=line.pk)
    ensure_version(line, version, "invoice line")
    _apply(line, invoice, {key: value for key, value in changes.items() if key in EDITABLE})
    compute_line(line, get_rule(invoice.organization, line.tax_rate), invoice.currency_code)
    save_with_history(line, actor=actor, reason="line_update")
    _refresh_invoice(invoice, actor=actor, reason="line_update")
    return line


@transaction.atomic
def line_remove(*, actor, line: InvoiceLineItem, version: int | None = None) -> InvoiceLineItem:
    invoice = invoice_lock(line.invoice_id)
    ensure_editable(invoice)
    line = InvoiceLineItem.objects.select_for_update().get(pk=line.pk)
    ensure_version(line, version, "invoice line")
    line.is_deleted = True
    save_with_history(line, actor=actor, reason="line_remove")
    _refresh_invoice(invoice, actor=actor, reason="line_remove")
    return line


def lines_add_bulk(*, actor, invoice: Invoice, items: list[dict], reason: str = "lines_add_bulk") -> list[InvoiceLineItem]:
    """Add many lines to a draft at once (one recomputation, bulk inserts with history). Each
    item is validated like `line_add`; the first bad item's errors name `lines.<n>.<field>`."""
    from core.errors import DomainError, DomainErrors
    from core.history import bulk_create_with_history

    invoice = invoice_lock(invoice.pk)
    ensure_editable(invoice)
    rules = {}
    lines = []
    for index, item in enumerate(items):
        line = InvoiceLineItem(invoice=invoice)
        try:
            _apply(line, invoice, {key: value for key, value in item.items() if key in EDITABLE})
        except DomainError as exc:
            raise DomainErrors([DomainError(e.code, e.message, f"lines.{index}.{e.field}") for e in exc.errors]) from None
        if line.tax_rate not in rules:
            rules[line.tax_rate] = get_rule(invoice.organization, line.tax_rate)
        compute_line(line, rules[line.tax_rate], invoice.currency_code)
        lines.append(line)
    bulk_create_with_history(InvoiceLineItem, lines, actor=actor, reason=reason)
    _refresh_invoice(invoice, actor=actor, reason=reason)
    return lines
