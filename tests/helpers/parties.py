"""A seller and a buyer complete enough for the EN 16931 and French CTC schematrons, for the tests
whose invoices become XML or Factur-X files (every such file is proved before it is stored)."""
from __future__ import annotations

from decimal import Decimal

SELLER_IDENTITY = {
    "legal_name": "Le Carillon Éditions SAS", "siren": "552100554", "siret": "55210055400013",
    "vat_number": "FR40552100554", "address_line1": "8 boulevard de l'Hôpital", "postal_code": "75013",
    "city": "Paris", "country_code": "FR", "email": "facturation@carillon.test",
}
BUYER = {
    "code": "pf-celik-conforme", "name": "Pompes funèbres Léa Çelik", "legal_name": "PF Léa Çelik SARL",
    "siren": "732829320", "address_line1": "3 rue de la Fontaine", "postal_code": "21000", "city": "Dijon",
    "country_code": "FR", "email": "lea.celik@pf-celik.test",
}


def make_conformant_seller(organization):
    """`organization` with its legal identity (SIREN, SIRET, VAT number, address, e-mail), saved."""
    for name, value in SELLER_IDENTITY.items():
        setattr(organization, name, value)
    organization.save()
    return organization


def make_conformant_buyer(organization, **overrides):
    """An operator of `organization` with name, address, country and e-mail (same code, same operator)."""
    from payment_module.models import Operator

    values = {**BUYER, **overrides}
    return (Operator.objects.filter(organization=organization, code=values["code"]).first()
            or Operator.objects.create(organization=organization, **values))


def make_conformant_invoice(*, actor, organization, **data):
    """An issued invoice of a complete seller to a complete buyer, one line at 20 %."""
    from invoice.services.invoices import invoice_create, invoice_validate
    from invoice.services.lines import line_add

    make_conformant_seller(organization)
    buyer = make_conformant_buyer(organization)
    invoice = invoice_create(actor=actor, organization=organization, data={
        "thirdparty_type": "operator", "thirdparty_id": str(buyer.pk), **data})
    line_add(actor=actor, invoice=invoice, data={"description": "Avis de décès", "quantity": Decimal(1),
                                                 "unit_price": Decimal("89.00")})
    return invoice_validate(actor=actor, invoice=invoice)
