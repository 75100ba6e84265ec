import graphene

from core.gql.mutations import BaseMutation
from core.tenancy import get_scoped
from invoice.gql.mutations import decode_id
from payment_module.gql.types import OperatorUserGQLType
from payment_module.models import Operator
from payment_module.services.operator_users import invite_operator_user


class InviteOperatorUserMutation(BaseMutation):
    """Invite a person (by e-mail) to see the invoices the caller's organisation bills one of its
    operators. Answers the one-time invitation token (the magic link's secret, valid
    OPERATOR_INVITATION_TTL_HOURS): hand it to that person only; it is never shown again. Inviting
    again a pending invitation issues a new token."""

    operator_user = graphene.Field(OperatorUserGQLType)
    invitation_token = graphene.String(description="one-time secret for acceptOperatorInvitation")

    class Input:
        operator_id = graphene.String(required=True, description="UUID or relay id of the operator")
        email = graphene.String(required=True)

    class Meta:
        permissions = ("payment_module.change_operator",)

    @classmethod
    def perform(cls, *, tenant, data):
        operator = get_scoped(Operator.objects.filter(is_deleted=False), tenant.organization,
                              decode_id(data["operator_id"], "operatorId"), what="operator", field="operatorId")
        link, token = invite_operator_user(actor=tenant.user, organization=tenant.organization, operator=operator,
                                           email=data["email"])
        return {"operator_user": link, "invitation_token": token, "internal_id": link.id}
