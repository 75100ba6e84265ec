"""Helpers for invoice tests: build invoices through the services, read errors, and prove that
a failing call wrote nothing."""
from __future__ import annotations

from decimal import Decimal

from invoice.models import (
    Invoice,
    InvoiceEvent,
    InvoiceLineItem,
    InvoiceNumberSequence,
    InvoicePayment,
)
from invoice.services.invoices import invoice_create, invoice_validate
from invoice.services.lines import line_add
from tests.helpers.db import unchanged

TRACKED = (Invoice, InvoiceLineItem, InvoicePayment, InvoiceEvent)

# Two lines: 2 × 100.00 at 20 % and 1 × 50.00 − 10 % at 10 %.
#   nets 200.00 + 45.00 = 245.00, VAT 40.00 + 4.50 = 44.50, total 289.50, discount 5.00.
DEFAULT_LINES = (
    {"code": "L1", "description": "Avis de décès", "quantity": "2", "unit_price": "100.00"},
    {"code": "L2", "description": "Option photo", "quantity": "1", "unit_price": "50.00", "discount": "0.1",
     "tax_rate": "FR_VAT_10"},
)
DEFAULT_TOTAL = Decimal("289.50")


def errors_of(raised) -> list[tuple[str | None, str]]:
    """[(field, code name)] of a pytest.raises(DomainError) result."""
    return [(error.field, error.code.name) for error in raised.value.errors]


BUYER = {"code": "buyer", "name": "Pompes Funèbres Acheteur", "legal_name": "PF Acheteur SARL",
         "address_line1": "1 rue du Test", "postal_code": "75011", "city": "Paris", "country_code": "FR",
         "email": "factures@acheteur.test"}


def make_buyer(organization, **overrides):
    """An operator of `organization` that carries what a buyer must (name, address, country,
    e-mail): the default thirdparty of make_draft. Same code → same operator."""
    from payment_module.models import Operator

    values = {**BUYER, **overrides}
    operator = Operator.objects.filter(organization=organization, code=values["code"]).first()
    return operator or Operator.objects.create(organization=organization, **values)


def buyer_data(organization, **overrides) -> dict:
    """The thirdparty fields of an invoice billed to make_buyer(organization)."""
    return {"thirdparty_type": "operator", "thirdparty_id": str(make_buyer(organization, **overrides).pk)}


def make_draft(*, actor, organization, lines=DEFAULT_LINES, **data) -> Invoice:
    """A draft built through the services, billed to make_buyer(organization) unless a thirdparty
    is given (thirdparty_type=None: no buyer); a line's tax_rate may name a built-in rule by code."""
    from core import calculation

    if "thirdparty_type" not in data:
        data.update(buyer_data(organization))
    data = {key: value for key, value in data.items() if value is not None}
    invoice = invoice_create(actor=actor, organization=organization, data=data)
    for line in lines:
        line = dict(line)
        if isinstance(line.get("tax_rate"), str) and line["tax_rate"].startswith("FR_"):
            line["tax_rate"] = getattr(calculation, line["tax_rate"]).id
        line_add(actor=actor, invoice=invoice, data=line)
    return Invoice.objects.get(pk=invoice.pk)


def make_validated(*, actor, organization, **kwargs) -> Invoice:
    return invoice_validate(actor=actor, invoice=make_draft(actor=actor, organization=organization, **kwargs))


def db_state() -> dict:
    """Everything a failed service call must leave untouched: rows, their versions and key
    values, history rows, events and the number sequences."""
    state: dict = {}
    for model in TRACKED:
        state[model.__name__] = sorted(
            (str(pk), version, is_deleted) for pk, version, is_deleted in model.objects.values_list("pk", "version", "is_deleted")
        )
        state[f"{model.__name__}.history"] = model.history.count()
    state["invoice values"] = sorted(
        (str(row[0]), *row[1:]) for row in Invoice.objects.values_list(
            "pk", "status", "code", "amount_net", "amount_total", "amount_payed", "date_payed"
        )
    )
    state["payment values"] = sorted(
        (str(row[0]), *row[1:]) for row in InvoicePayment.objects.values_list("pk", "status", "amount_payed", "fees")
    )
    state["event values"] = sorted((str(pk), message) for pk, message in InvoiceEvent.objects.values_list("pk", "message"))
    state["sequences"] = sorted(
        (str(org), year, last) for org, year, last in InvoiceNumberSequence.objects.values_list("organization_id", "year", "last_number")
    )
    return state


def nothing_written():
    """with nothing_written(), pytest.raises(DomainError): … — the DB must be exactly as before."""
    return unchanged(db_state)
