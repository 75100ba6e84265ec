import graphene

from core.gql.mutations import BaseMutation
from core.services.users import user_change_language


class ChangeUserLanguageMutation(BaseMutation):
    """The caller's front-end language (openIMIS fe-core's language picker): one of `languages`."""

    class Input:
        language_id = graphene.String(required=True, description="a code of the `languages` query")

    class Meta:
        permissions = ()

    @classmethod
    def perform(cls, *, tenant, data):
        user = user_change_language(actor=tenant.user, language=data["language_id"])
        return {"internal_id": user.id}
