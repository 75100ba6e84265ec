"""Snapshots built by hand (no database): a realistic invoice with lines at 20 %, 10 %, 5.5 % and a
débours line (exempt, VATEX-EU-79-C), its credit note, and long invoices."""
from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal as D

from invoice.renderers.snapshot import (
    InvoiceSnapshot,
    LineSnapshot,
    PartySnapshot,
    TaxSnapshot,
)

SELLER = PartySnapshot(
    name="Le Carillon Éditions", legal_name="Le Carillon Éditions SAS", siren="552100554", siret="55210055400013",
    vat_number="FR40552100554", address_line1="8 boulevard de l'Hôpital", address_line2="Bâtiment C",
    postal_code="75013", city="Paris", country_code="FR", email="facturation@carillon.example",
    iban="FR7630006000011234567890189", bic="AGRIFRPPXXX", share_capital=D("10000.00"),
    trade_register="RCS Paris 552 100 554",
)
BUYER = PartySnapshot(
    name="Pompes funèbres Léa Çelik", siren="732829320", vat_number="FR44732829320",
    address_line1="3 rue de la Fontaine-Çà-et-Là", postal_code="21000", city="Dijon", country_code="FR",
    email="lea.celik@pf-celik.example",
)
EXEMPT_REASON = ("Débours : frais engagés au nom et pour le compte du client, exclus de la base d'imposition "
                 "(art. 267 II 2° du CGI)")


def _line(position, description, quantity, unit_price, net, code, label, rate, category="S", discount="0",
          deduction="0", details=""):
    rate = D(rate)
    tax = (D(net) * rate).quantize(D("0.01"))
    return LineSnapshot(
        position=position, code=f"ART-{position:03d}", description=description, details=details,
        quantity=D(quantity), unit_price=D(unit_price), discount=D(discount), deduction=D(deduction),
        amount_net=D(net), amount_total=D(net) + tax, tax_code=code, tax_label=label, tax_rate=rate,
        vat_category=category,
    )


def make_snapshot(**overrides) -> InvoiceSnapshot:
    """Net 349.99 €, VAT 58.60 €, total 408.59 €, paid 100.00 €, due 308.59 €."""
    lines = (
        _line(1, "Avis de décès — édition Côte-d'Or", "2", "150.00", "270.00", "FR_VAT_20", "TVA 20 %", "0.20",
              discount="0.10", details="Parution du 12/03 et du 13/03\nRubrique « Carnet »"),
        _line(2, "Option photo couleur", "3", "12.50", "35.00", "FR_VAT_10", "TVA 10 %", "0.10", deduction="2.50"),
        _line(3, "Livre d'or numérique", "1", "19.99", "19.99", "FR_VAT_5_5", "TVA 5,5 %", "0.055"),
        _line(4, "Frais d'insertion avancés (débours)", "1", "25.00", "25.00", "FR_VAT_DEBOURS",
              "Débours", "0", category="E"),
    )
    taxes = (
        TaxSnapshot("FR_VAT_20", "TVA 20 %", D("0.20"), D("270.00"), D("54.00"), "S"),
        TaxSnapshot("FR_VAT_10", "TVA 10 %", D("0.10"), D("35.00"), D("3.50"), "S"),
        TaxSnapshot("FR_VAT_5_5", "TVA 5,5 %", D("0.055"), D("19.99"), D("1.10"), "S"),
        TaxSnapshot("FR_VAT_DEBOURS", "Débours", D(0), D("25.00"), D("0.00"), "E",
                    exemption_reason=EXEMPT_REASON, exemption_reason_code="VATEX-EU-79-C"),
    )
    values = {
        "id": "0b7f6f0e-3f55-4a53-9a39-2f1b1f3f9c11", "number": "CAR-2026-000042", "document_type": "INVOICE",
        "related_number": "", "status": "VALIDATED", "date_invoice": date(2026, 3, 31),
        "date_due": date(2026, 4, 30), "period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31),
        "currency": "EUR", "seller": SELLER, "buyer": BUYER, "lines": lines, "taxes": taxes,
        "amount_net": D("349.99"), "amount_discount": D("32.50"), "tax_total": D("58.60"),
        "amount_total": D("408.59"), "amount_payed": D("100.00"), "amount_due": D("308.59"),
        "payment_reference": "CAR-2026-000042", "payment_days": 30, "note": "Merci de votre confiance.",
        "terms": "Paiement par virement SEPA.", "buyer_reference": "PF-CELIK-21",
    }
    return InvoiceSnapshot(**{**values, **overrides})


def make_credit_note(**overrides) -> InvoiceSnapshot:
    """The credit note of make_snapshot() as the services build it: negative quantities and amounts."""
    original = make_snapshot()
    lines = tuple(dataclasses.replace(line, quantity=-line.quantity, amount_net=-line.amount_net,
                                      amount_total=-line.amount_total) for line in original.lines)
    taxes = tuple(dataclasses.replace(tax, base=-tax.base, amount=-tax.amount) for tax in original.taxes)
    values = {
        "number": "CAR-2026-000043", "document_type": "CREDIT_NOTE", "related_number": original.number,
        "related_date": original.date_invoice, "lines": lines, "taxes": taxes, "amount_net": -original.amount_net,
        "amount_discount": original.amount_discount, "tax_total": -original.tax_total,
        "amount_total": -original.amount_total, "amount_payed": D("0.00"), "amount_due": -original.amount_total,
        "payment_reference": "CAR-2026-000043", "date_due": date(2026, 4, 30),
    }
    return dataclasses.replace(original, **{**values, **overrides})


def make_long_snapshot(count: int = 300) -> InvoiceSnapshot:
    """`count` lines of 10.00 € at 20 %."""
    lines = tuple(
        _line(i, f"Avis de décès n° {i} — parution régionale", "1", "10.00", "10.00", "FR_VAT_20", "TVA 20 %", "0.20")
        for i in range(1, count + 1)
    )
    net = D("10.00") * count
    tax = net * D("0.20")
    taxes = (TaxSnapshot("FR_VAT_20", "TVA 20 %", D("0.20"), net, tax, "S"),)
    return make_snapshot(lines=lines, taxes=taxes, amount_net=net, amount_discount=D("0.00"), tax_total=tax,
                         amount_total=net + tax, amount_payed=D("0.00"), amount_due=net + tax)


def make_exempt_snapshot(rule, **overrides) -> InvoiceSnapshot:
    """One 100.00 € line under ``rule`` (a core.calculation rule without VAT: franchise, export…)."""
    lines = (_line(1, "Avis de décès — parution nationale", "1", "100.00", "100.00", rule.code, rule.label, "0",
                   category=rule.vat_category),)
    taxes = (TaxSnapshot(rule.code, rule.label, D(0), D("100.00"), D("0.00"), rule.vat_category,
                         exemption_reason=rule.exemption_reason, exemption_reason_code=rule.exemption_reason_code),)
    values = {"lines": lines, "taxes": taxes, "amount_net": D("100.00"), "amount_discount": D("0.00"),
              "tax_total": D("0.00"), "amount_total": D("100.00"), "amount_payed": D("0.00"),
              "amount_due": D("100.00")}
    return make_snapshot(**{**values, **overrides})
