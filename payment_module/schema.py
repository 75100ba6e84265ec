import graphene

from core.gql.fields import TenantConnectionField
from payment_module.gql.mutations.accept_operator_invitation import (
    AcceptOperatorInvitationMutation,
)
from payment_module.gql.mutations.create_operator import CreateOperatorMutation
from payment_module.gql.mutations.create_order import CreateOrderMutation
from payment_module.gql.mutations.create_tariff import CreateTariffMutation
from payment_module.gql.mutations.generate_invoices_for_time_period import (
    GenerateInvoicesForTimePeriodMutation,
)
from payment_module.gql.mutations.import_bank_statement import ImportBankStatementMutation
from payment_module.gql.mutations.invite_operator_user import InviteOperatorUserMutation
from payment_module.gql.mutations.update_operator import UpdateOperatorMutation
from payment_module.gql.types import (
    BankStatementGQLType,
    BankStatementLineGQLType,
    OperatorGQLType,
    OperatorUserGQLType,
    OrderGQLType,
    TariffGQLType,
)


class Query(graphene.ObjectType):
    operator = TenantConnectionField(OperatorGQLType)
    order = TenantConnectionField(OrderGQLType)
    tariff = TenantConnectionField(TariffGQLType)
    bank_statements = TenantConnectionField(BankStatementGQLType)
    bank_statement_lines = TenantConnectionField(BankStatementLineGQLType)
    operator_user = TenantConnectionField(OperatorUserGQLType)


class Mutation(graphene.ObjectType):
    create_operator = CreateOperatorMutation.Field()
    update_operator = UpdateOperatorMutation.Field()
    create_tariff = CreateTariffMutation.Field()
    create_order = CreateOrderMutation.Field()
    generate_invoices_for_time_period = GenerateInvoicesForTimePeriodMutation.Field()
    import_bank_statement = ImportBankStatementMutation.Field()
    invite_operator_user = InviteOperatorUserMutation.Field()
    accept_operator_invitation = AcceptOperatorInvitationMutation.Field()
