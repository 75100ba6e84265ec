import graphene

from core.gql.mutations import BaseMutation
from core.gql.mutations.create_api_key import ApiKeyGQLType
from core.models import ApiKey
from core.services.api_keys import api_key_revoke
from core.tenancy import get_scoped


class RevokeApiKeyMutation(BaseMutation):
    """Revoke one of the organisation's API keys: its next request answers 401 API_KEY_INVALID."""

    api_key = graphene.Field(ApiKeyGQLType)

    class Input:
        id = graphene.UUID(required=True)

    class Meta:
        permissions = ("core.delete_apikey",)

    @classmethod
    def perform(cls, *, tenant, data):
        key = get_scoped(ApiKey.objects.all(), tenant.organization, data["id"], what="API key")
        key = api_key_revoke(actor=tenant.user, api_key=key)
        return {"api_key": key, "internal_id": key.id}
