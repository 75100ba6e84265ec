import graphene
from graphene.types.generic import GenericScalar


class PartyInputFields:
    """Who a party is and where: the fields organisations (sellers) and operators (buyers) share."""

    name = graphene.String()
    legal_name = graphene.String()
    siren = graphene.String()
    siret = graphene.String()
    vat_number = graphene.String()
    address_line1 = graphene.String()
    address_line2 = graphene.String()
    postal_code = graphene.String()
    city = graphene.String()
    country_code = graphene.String()
    email = graphene.String()


class OrganizationInputFields(PartyInputFields):
    phone = graphene.String()
    iban = graphene.String()
    bic = graphene.String()
    invoice_number_prefix = graphene.String()
    payment_days = graphene.Int()
    currency_code = graphene.String()
    default_tax_rule = graphene.UUID()
    template_blocks = GenericScalar()
    operation_category = graphene.String(description="services, goods or mixed")
    vat_franchise = graphene.Boolean(description="franchise en base de TVA (art. 293 B du CGI)")
    vat_on_debits = graphene.Boolean(description="option pour le paiement de la TVA d'après les débits")
    share_capital = graphene.Decimal()
    trade_register = graphene.String(description="e.g. RCS Paris 552 100 554")
