"""Helpers of the payment_module tests: operators, tariffs and orders built through the services,
aware datetimes in the server's time zone, errors of a DomainError, and proof that a failing
call wrote nothing."""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from django.utils import timezone

from core.calculation import FR_VAT_10, FR_VAT_20, FR_VAT_DEBOURS
from invoice.models import (
    Invoice,
    InvoiceDocument,
    InvoiceEvent,
    InvoiceLineItem,
    InvoiceNumberSequence,
)
from payment_module.constants import OrderKind
from payment_module.models import Operator, Order, Tariff
from payment_module.services.operators import (
    operator_create,
    order_create,
    tariff_create,
)
from tests.helpers.db import unchanged

# A real-looking funeral operator: SIREN/SIRET/VAT with valid keys.
OPERATOR_DATA = {
    "code": "pf-lea-celik", "name": "Pompes Funèbres Léa Çelik", "legal_name": "Pompes Funèbres Léa Çelik SARL",
    "siren": "812345676", "siret": "81234567600017", "vat_number": "FR19812345676",
    "address_line1": "48 boulevard de Ménilmontant", "postal_code": "75011", "city": "Paris",
    "email": "contact@pf-celik.test", "currency_code": "EUR", "payment_days": 45,
}
OTHER_OPERATOR_DATA = {
    "code": "herve-et-fils", "name": "Maison Funéraire Hervé & Fils", "siren": "792458135",
    "siret": "79245813500011", "vat_number": "FR59792458135", "city": "Montreuil", "payment_days": 30,
}

# Death notices cost 85.00 until 30/06/2026 and 89.00 from 01/07/2026 (20 %); options at 20 % or
# 10 %; anniversaries are re-invoiced at cost (débours, outside the VAT base). THANKS_NOTICE has no tariff (for NO_TARIFF).
TARIFFS = (
    (OrderKind.DEATH_NOTICE, "AVIS-2025", "85.00", FR_VAT_20, "706100", date(2025, 1, 1), date(2026, 6, 30)),
    (OrderKind.DEATH_NOTICE, "AVIS-2026-07", "89.00", FR_VAT_20, "706100", date(2026, 7, 1), None),
    (OrderKind.NOTICE_PHOTO, "OPT-PHOTO", "15.00", FR_VAT_20, "706300", date(2025, 1, 1), None),
    (OrderKind.NOTICE_FRAME, "OPT-CADRE", "12.50", FR_VAT_20, "706300", date(2025, 1, 1), None),
    (OrderKind.NOTICE_PRINT, "PRESSE", "145.00", FR_VAT_10, "706400", date(2025, 1, 1), None),
    (OrderKind.ANNIVERSARY, "ANNIV", "35.00", FR_VAT_DEBOURS, "706500", date(2025, 1, 1), None),
)


def at(day: date | str, hour: int = 12, minute: int = 0) -> datetime:
    """An aware datetime in the server's time zone (Europe/Paris)."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def make_operator(actor, organization, **changes) -> Operator:
    return operator_create(actor=actor, organization=organization, data={**OPERATOR_DATA, **changes})


def make_tariffs(actor, organization, tariffs=TARIFFS) -> list[Tariff]:
    return [
        tariff_create(actor=actor, organization=organization, data={
            "code": code, "label": f"Tarif {code}", "order_kind": kind, "unit_price": Decimal(price),
            "tax_rule": rule.id, "ledger_account": ledger, "date_valid_from": start, "date_valid_to": end,
        })
        for kind, code, price, rule, ledger, start, end in tariffs
    ]


def make_order(actor, operator, reference: str, ordered_at: datetime, kind: str = OrderKind.DEATH_NOTICE,
               **extra) -> Order:
    return order_create(actor=actor, organization=operator.organization, data={
        "operator_id": operator.pk, "kind": kind, "reference": reference, "ordered_at": ordered_at, **extra,
    })


def errors_of(raised) -> list[tuple[str | None, str]]:
    """[(field, code name)] of a pytest.raises(DomainError) result."""
    return [(error.field, error.code.name) for error in raised.value.errors]


TRACKED = (Operator, Tariff, Order, Invoice, InvoiceLineItem, InvoiceEvent)


def db_state() -> dict:
    state: dict = {}
    for model in TRACKED:
        state[model.__name__] = sorted((str(pk), version) for pk, version in model.objects.values_list("pk", "version"))
        state[f"{model.__name__}.history"] = model.history.count()
    state["billed"] = sorted((str(pk), str(line)) for pk, line in Order.objects.values_list("pk", "invoice_line_id"))
    state["documents"] = sorted(str(pk) for pk in InvoiceDocument.objects.values_list("pk", flat=True))
    state["sequences"] = sorted(
        (str(org), year, last) for org, year, last in InvoiceNumberSequence.objects.values_list(
            "organization_id", "year", "last_number")
    )
    return state


def nothing_written():
    """with nothing_written(), pytest.raises(DomainError): … — the DB must be exactly as before."""
    return unchanged(db_state)
