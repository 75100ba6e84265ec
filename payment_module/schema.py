import graphene

from core.gql.fields import TenantConnectionField
from payment_module.gql.mutations.generate_invoices_for_time_period import GenerateInvoicesForTimePeriodMutation
from payment_module.gql.types import OperatorGQLType, OrderGQLType, TariffGQLType


class Query(graphene.ObjectType):
    operator = TenantConnectionField(OperatorGQLType)
    order = TenantConnectionField(OrderGQLType)
    tariff = TenantConnectionField(TariffGQLType)


class Mutation(graphene.ObjectType):
    generate_invoices_for_time_period = GenerateInvoicesForTimePeriodMutation.Field()
