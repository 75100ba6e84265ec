import graphene

from core.gql.mutations import BaseMutation
from invoice.gql.mutations import decode_id
from payment_module.gql.inputs import OperatorInputFields
from payment_module.gql.types import OperatorGQLType
from payment_module.services.operators import operator_get, operator_update


class UpdateOperatorMutation(BaseMutation):
    """Change an operator of the caller's organisation. `version` is the one read (optimistic lock)."""

    operator = graphene.Field(OperatorGQLType)

    class Input(OperatorInputFields):
        id = graphene.String(required=True, description="UUID or relay id")
        version = graphene.Int(required=True)

    class Meta:
        permissions = ("payment_module.change_operator",)

    @classmethod
    def perform(cls, *, tenant, data):
        operator = operator_get(tenant.organization, decode_id(data.pop("id"), "id"))
        version = data.pop("version")
        operator = operator_update(actor=tenant.user, operator=operator, version=version, changes=data)
        return {"operator": operator, "internal_id": operator.id}
