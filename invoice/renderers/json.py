"""JSON renderer: a versioned, self-describing document of the invoice, for API clients and
archives. Schema: docs/invoice-document.schema.json (JSON Schema draft 2020-12).

Conventions: every amount, quantity, price and rate is a JSON *string* holding the exact decimal
(never a float); dates are ISO 8601 (YYYY-MM-DD) or null; empty text is "". Amounts keep the sign
they have in the invoice (a credit note's are negative). ``schema_version`` changes its major
number on any incompatible change; new optional members only bump the minor number."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from invoice.renderers.snapshot import (
    InvoiceSnapshot,
    LineSnapshot,
    PartySnapshot,
    TaxSnapshot,
)

SCHEMA_VERSION = "1.1"
SCHEMA_ID = "https://molink.fr/schemas/invoice-document/1.1/invoice-document.schema.json"


def _dec(value: Decimal) -> str:
    """The exact decimal, in positional notation (no exponent), without a negative zero."""
    value = Decimal(value)
    if value == 0:
        value = abs(value)
    return f"{value:f}"


def _date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _period(start: date | None, end: date | None) -> dict | None:
    if not (start or end):
        return None
    return {"start": _date(start), "end": _date(end)}


def _party(party: PartySnapshot) -> dict:
    return {
        "name": party.name, "legal_name": party.legal_name, "siren": party.siren, "siret": party.siret,
        "vat_number": party.vat_number,
        "address": {
            "line1": party.address_line1, "line2": party.address_line2, "postal_code": party.postal_code,
            "city": party.city, "country_code": party.country_code,
        },
        "email": party.email, "iban": party.iban, "bic": party.bic,
        "share_capital": _dec(party.share_capital) if party.share_capital is not None else None,
        "trade_register": party.trade_register,
    }


def _line(line: LineSnapshot) -> dict:
    return {
        "position": line.position, "code": line.code, "description": line.description, "details": line.details,
        "quantity": _dec(line.quantity), "unit_price": _dec(line.unit_price), "discount": _dec(line.discount),
        "deduction": _dec(line.deduction), "amount_net": _dec(line.amount_net), "amount_total": _dec(line.amount_total),
        "tax": {"code": line.tax_code, "label": line.tax_label, "rate": _dec(line.tax_rate),
                "category": line.vat_category},
        "ledger_account": line.ledger_account,
        "period": _period(line.period_start, line.period_end),
    }


def _tax(tax: TaxSnapshot) -> dict:
    return {
        "code": tax.code, "label": tax.label, "rate": _dec(tax.rate), "category": tax.vat_category,
        "base": _dec(tax.base), "amount": _dec(tax.amount),
        "exemption_reason": tax.exemption_reason, "exemption_reason_code": tax.exemption_reason_code,
    }


def build(snapshot: InvoiceSnapshot) -> dict:
    return {
        "$schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "id": snapshot.id,
        "document_type": snapshot.document_type,
        "number": snapshot.number,
        "related_invoice": ({"number": snapshot.related_number, "issue_date": _date(snapshot.related_date)}
                            if snapshot.related_number else None),
        "status": snapshot.status,
        "issue_date": _date(snapshot.date_invoice),
        "due_date": _date(snapshot.date_due),
        "period": _period(snapshot.period_start, snapshot.period_end),
        "currency": snapshot.currency,
        "seller": _party(snapshot.seller),
        "buyer": _party(snapshot.buyer),
        "buyer_reference": snapshot.buyer_reference,
        "payment": {"reference": snapshot.payment_reference, "days": snapshot.payment_days,
                    "iban": snapshot.seller.iban, "bic": snapshot.seller.bic},
        "lines": [_line(line) for line in snapshot.lines],
        "taxes": [_tax(tax) for tax in snapshot.taxes],
        "totals": {
            "net": _dec(snapshot.amount_net), "discount": _dec(snapshot.amount_discount),
            "tax": _dec(snapshot.tax_total), "total": _dec(snapshot.amount_total),
            "paid": _dec(snapshot.amount_payed), "due": _dec(snapshot.amount_due),
        },
        "note": snapshot.note,
        "terms": snapshot.terms,
        "operation_category": snapshot.operation_category,
        "vat_on_debits": snapshot.vat_on_debits,
    }


def render(snapshot: InvoiceSnapshot) -> bytes:
    return json.dumps(build(snapshot), ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
