import graphene

from core.gql.mutations import BaseMutation
from invoice.gql.mutations import decode_id
from payment_module.gql.inputs import OrderInputFields
from payment_module.gql.types import OrderGQLType
from payment_module.services.operators import order_create


class CreateOrderMutation(BaseMutation):
    """Record an order (commande) of an operator of the caller's organisation; billed later by
    generateInvoicesForTimePeriod."""

    order = graphene.Field(OrderGQLType)

    class Input(OrderInputFields):
        pass

    class Meta:
        permissions = ("payment_module.add_order",)

    @classmethod
    def perform(cls, *, tenant, data):
        data["operator_id"] = decode_id(data.get("operator_id"), "operatorId")
        order = order_create(actor=tenant.user, organization=tenant.organization, data=data)
        return {"order": order, "internal_id": order.id}
