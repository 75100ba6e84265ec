import graphene

from core.gql.types import TenantObjectType
from payment_module.models import (
    BankStatement,
    BankStatementLine,
    Operator,
    OperatorUser,
    Order,
    Tariff,
)


class OperatorGQLType(TenantObjectType):
    orderable_fields = ("name", "code", "date_created")

    class Meta:
        model = Operator
        permissions = ("payment_module.view_operator",)
        interfaces = (graphene.relay.Node,)
        fields = ("id", "code", "name", "legal_name", "siren", "siret", "vat_number", "address_line1", "address_line2",
                  "postal_code", "city", "country_code", "email", "currency_code", "payment_days", "is_active",
                  "version", "is_deleted", "date_created")
        filter_fields = {"code": ["exact", "icontains"], "name": ["exact", "icontains"], "siren": ["exact"],
                         "is_active": ["exact"], "is_deleted": ["exact"]}


class TariffGQLType(TenantObjectType):
    orderable_fields = ("order_kind", "date_valid_from", "code")

    class Meta:
        model = Tariff
        permissions = ("payment_module.view_tariff",)
        interfaces = (graphene.relay.Node,)
        convert_choices_to_enum = False
        fields = ("id", "code", "label", "order_kind", "unit_price", "currency_code", "tax_rule", "ledger_account",
                  "date_valid_from", "date_valid_to", "version", "is_deleted")
        filter_fields = {"order_kind": ["exact"], "code": ["exact", "icontains"], "currency_code": ["exact"],
                         "is_deleted": ["exact"]}


class OrderGQLType(TenantObjectType):
    is_billed = graphene.Boolean(required=True)

    orderable_fields = ("ordered_at", "reference", "kind")

    class Meta:
        model = Order
        permissions = ("payment_module.view_order",)
        interfaces = (graphene.relay.Node,)
        convert_choices_to_enum = False
        fields = ("id", "operator", "kind", "reference", "description", "ordered_at", "quantity", "options",
                  "amount_override", "version", "is_deleted", "date_created")
        filter_fields = {"reference": ["exact", "icontains"], "kind": ["exact"], "ordered_at": ["gte", "lte"],
                         "operator__id": ["exact"], "invoice_line": ["isnull"], "is_deleted": ["exact"]}

    def resolve_is_billed(self, info):
        return self.invoice_line_id is not None

    @classmethod
    def optimize_queryset(cls, qs, info):
        return qs.select_related("operator")


class BankStatementLineGQLType(TenantObjectType):
    """One line of an imported bank statement and what became of it (matchStatus, reasonCode,
    reason; the invoice it matched and the payment it created)."""

    orderable_fields = ("position", "booking_date", "amount")

    class Meta:
        model = BankStatementLine
        permissions = ("payment_module.view_bankstatement",)
        interfaces = (graphene.relay.Node,)
        convert_choices_to_enum = False
        fields = ("id", "statement", "position", "entry_reference", "booking_date", "value_date", "amount",
                  "currency_code", "credit_debit", "debtor_name", "debtor_iban", "remittance_info",
                  "creditor_reference", "end_to_end_id", "match_status", "match_rule", "matched_invoice", "payment",
                  "reason_code", "reason")
        filter_fields = {"statement__id": ["exact"], "match_status": ["exact", "in"], "entry_reference": ["exact"],
                         "booking_date": ["gte", "lte"]}

    @classmethod
    def optimize_queryset(cls, qs, info):
        return qs.select_related("matched_invoice", "payment")


class BankStatementGQLType(TenantObjectType):
    """An imported bank statement file with the counts of its import; `lines` are its lines."""

    orderable_fields = ("date_created", "statement_id")

    class Meta:
        model = BankStatement
        permissions = ("payment_module.view_bankstatement",)
        interfaces = (graphene.relay.Node,)
        convert_choices_to_enum = False
        fields = ("id", "source_format", "file_name", "sha256", "account_iban", "statement_id", "message_id",
                  "currency_code", "date_created", "line_count", "matched_count", "unmatched_count",
                  "ambiguous_count", "duplicate_count", "ignored_count", "lines")
        filter_fields = {"statement_id": ["exact"], "account_iban": ["exact"], "source_format": ["exact"],
                         "date_created": ["gte", "lte"]}


class OperatorUserGQLType(TenantObjectType):
    """An operator user of the caller's organisation: who may see an operator's invoices, invited
    when and by whom, accepted or pending (the token itself is never shown again)."""

    email = graphene.String(required=True)
    invited_by_name = graphene.String()
    is_accepted = graphene.Boolean(required=True)

    orderable_fields = ("date_invited", "date_accepted")

    class Meta:
        model = OperatorUser
        permissions = ("payment_module.view_operator",)
        interfaces = (graphene.relay.Node,)
        fields = ("id", "operator", "date_invited", "date_accepted", "token_expires_at")
        filter_fields = {"date_accepted": ["isnull"]}

    def resolve_email(self, info):
        return self.user.email or self.user.username

    def resolve_invited_by_name(self, info):
        return self.invited_by.username if self.invited_by else None

    def resolve_is_accepted(self, info):
        return self.date_accepted is not None

    @classmethod
    def get_queryset(cls, queryset, info):
        return super().get_queryset(queryset, info).select_related("user", "invited_by", "operator")
