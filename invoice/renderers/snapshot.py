"""The read-only snapshot renderers receive: plain frozen dataclasses, no ORM objects.

Built in one place (invoice.selectors.document_snapshot) from an invoice, its organisation
(seller), its thirdparty (buyer) and its lines; renderers turn it into bytes and never query."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class PartySnapshot:
    name: str
    legal_name: str = ""
    siren: str = ""
    siret: str = ""
    vat_number: str = ""
    address_line1: str = ""
    address_line2: str = ""
    postal_code: str = ""
    city: str = ""
    country_code: str = "FR"
    email: str = ""
    iban: str = ""
    bic: str = ""
    # The seller's legal registration (a buyer has none): share capital and trade register entry
    share_capital: Decimal | None = None
    trade_register: str = ""  # e.g. "RCS Paris 552 100 554"


@dataclass(frozen=True)
class LineSnapshot:
    position: int
    code: str
    description: str
    details: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal  # fraction 0..1
    deduction: Decimal
    amount_net: Decimal
    amount_total: Decimal
    tax_code: str
    tax_label: str
    tax_rate: Decimal  # fraction, e.g. 0.20
    vat_category: str  # EN 16931 UNCL5305: S, E, AE…
    ledger_account: str = ""
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True)
class TaxSnapshot:
    code: str
    label: str
    rate: Decimal
    base: Decimal
    amount: Decimal
    vat_category: str
    exemption_reason: str = ""
    exemption_reason_code: str = ""


@dataclass(frozen=True)
class InvoiceSnapshot:
    id: str
    number: str
    document_type: str  # "INVOICE" or "CREDIT_NOTE"
    related_number: str  # the cancelled invoice's number, for a credit note
    status: str
    date_invoice: date
    date_due: date | None
    period_start: date | None
    period_end: date | None
    currency: str
    seller: PartySnapshot
    buyer: PartySnapshot
    lines: tuple[LineSnapshot, ...]
    taxes: tuple[TaxSnapshot, ...]
    amount_net: Decimal
    amount_discount: Decimal
    tax_total: Decimal
    amount_total: Decimal
    amount_payed: Decimal
    amount_due: Decimal
    payment_reference: str
    payment_days: int
    note: str = ""
    terms: str = ""
    buyer_reference: str = ""  # code_tp
    template_blocks: dict = field(default_factory=dict)  # organisation overrides, see renderers.pdf
    related_date: date | None = None  # the credited invoice's issue date (EN 16931 BT-26), for a credit note
    operation_category: str = "services"  # the seller's: "services", "goods" or "mixed" (BT-23, PDF mention)
    vat_on_debits: bool = False  # the seller opted for VAT on debits (BT-8, PDF mention)
