import graphene

from core.gql.mutations import BaseMutation
from core.models import Membership
from core.services.api_keys import api_key_create


class ApiKeyGQLType(graphene.ObjectType):
    """An API key of the caller's organisation (never its secret, which only createApiKey returns)."""

    id = graphene.UUID(required=True)
    name = graphene.String(required=True)
    prefix = graphene.String(required=True, description="the secret's visible part: mlk_<prefix>_…")
    role = graphene.String(required=True)
    date_created = graphene.DateTime()
    last_used_at = graphene.DateTime()
    revoked_at = graphene.DateTime()


class CreateApiKeyMutation(BaseMutation):
    """Create an API key for server-to-server REST calls (`X-Api-Key: <secret>`) acting for the
    caller's organisation with `role`. The secret is in this payload only: store it now."""

    api_key = graphene.Field(ApiKeyGQLType)
    secret = graphene.String(description="mlk_<prefix>_<random>: shown once, never stored in clear")

    class Input:
        name = graphene.String(required=True)
        role = graphene.String(default_value=Membership.Role.ACCOUNTANT.value,
                               description="admin, accountant (default) or viewer")

    class Meta:
        permissions = ("core.add_apikey",)

    @classmethod
    def perform(cls, *, tenant, data):
        key, secret = api_key_create(actor=tenant.user, organization=tenant.organization, name=data["name"],
                                     role=data.get("role"))
        return {"api_key": key, "secret": secret, "internal_id": key.id}
