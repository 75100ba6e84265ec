import graphene

from core.gql.mutations import BaseMutation
from payment_module.gql.inputs import OperatorInputFields
from payment_module.gql.types import OperatorGQLType
from payment_module.services.operators import operator_create


class CreateOperatorMutation(BaseMutation):
    """Add an operator (déclarant) billed by the caller's organisation."""

    operator = graphene.Field(OperatorGQLType)

    class Input(OperatorInputFields):
        code = graphene.String(required=True, description="slug, unique in the organisation")
        name = graphene.String(required=True)

    class Meta:
        permissions = ("payment_module.add_operator",)

    @classmethod
    def perform(cls, *, tenant, data):
        operator = operator_create(actor=tenant.user, organization=tenant.organization, data=data)
        return {"operator": operator, "internal_id": operator.id}
