"""Mutation input fields of the billing source. Amounts are Decimal strings."""
import graphene
from graphene.types.generic import GenericScalar

from core.gql.inputs import PartyInputFields


class OperatorInputFields(PartyInputFields):
    code = graphene.String(description="slug, unique in the organisation")
    currency_code = graphene.String()
    payment_days = graphene.Int(description="payment terms in days, 0 to 60")
    is_active = graphene.Boolean()


class TariffInputFields:
    code = graphene.String(required=True)
    label = graphene.String(required=True)
    order_kind = graphene.String(required=True, description="an OrderKind value, e.g. death_notice")
    unit_price = graphene.Decimal(required=True, description="price excluding VAT, ≥ 0")
    currency_code = graphene.String(description="ISO 4217 currency of unitPrice (default: the organisation's); "
                                                "operators are billed with the tariffs of their currency")
    tax_rule = graphene.String(required=True, description="UUID of a calculation rule (calculationRules)")
    ledger_account = graphene.String()
    date_valid_from = graphene.Date(required=True)
    date_valid_to = graphene.Date(description="last day of validity (inclusive); empty: open end")


class OrderInputFields:
    operator_id = graphene.String(required=True, description="UUID or relay id of the operator")
    kind = graphene.String(required=True, description="an OrderKind value, e.g. death_notice")
    reference = graphene.String(required=True, description="unique in the organisation")
    description = graphene.String()
    ordered_at = graphene.DateTime(required=True)
    quantity = graphene.Decimal(description="> 0; 1 when absent")
    options = GenericScalar(description="a JSON object")
    amount_override = graphene.Decimal(description="unit price agreed for this order, instead of the tariff")


class CsvMappingInput(graphene.InputObjectType):
    """How to read a CSV statement (defaults: French banks' exports — `;`, decimal comma,
    dd/mm/YYYY, UTF-8 else Windows-1252, EUR). `columns` maps fields to header names, e.g.
    {"amount": "Montant", "remittance_info": "Libellé"} (fields: entry_reference, booking_date,
    value_date, amount, credit, debit, currency, debtor_name, debtor_iban, remittance_info,
    end_to_end_id)."""

    columns = GenericScalar()
    delimiter = graphene.String()
    decimal_comma = graphene.Boolean()
    date_format = graphene.String(description="strptime format, default %d/%m/%Y")
    encoding = graphene.String()
    currency = graphene.String(description="currency of lines without a currency column (default EUR)")
