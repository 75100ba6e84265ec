import graphene

from core.gql.mutations import BaseMutation
from payment_module.services.operator_users import accept_operator_invitation


class AcceptOperatorInvitationMutation(BaseMutation):
    """Spend an operator-user invitation token (no login needed for a new account, which gets
    `password`; an existing account must be logged in as itself). Then log in with `tokenAuth`."""

    username = graphene.String(description="the account to log in with (tokenAuth)")

    class Input:
        token = graphene.String(required=True)
        password = graphene.String(description="the new account's password (ignored for an existing account)")

    class Meta:
        permissions = ()
        anyone = True

    @classmethod
    def perform(cls, *, tenant, data, user):
        link = accept_operator_invitation(token=data["token"], password=data.get("password"), user=user)
        return {"username": link.user.username, "internal_id": link.id}
