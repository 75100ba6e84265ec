import graphene
import graphql_jwt
from django.contrib.auth import get_user_model
from django.middleware.csrf import get_token
from graphql_jwt.exceptions import JSONWebTokenError

from core import login_throttle


class ThrottledObtainJSONWebToken(graphql_jwt.ObtainJSONWebToken):
    """tokenAuth with brute-force throttling (core.login_throttle)."""

    class Meta:
        name = "ObtainJSONWebToken"

    @classmethod
    def mutate(cls, root, info, **kwargs):
        username = kwargs.get(get_user_model().USERNAME_FIELD)
        login_throttle.ensure_allowed(info.context, username)
        try:
            result = super().mutate(root, info, **kwargs)
        except JSONWebTokenError:
            login_throttle.record_failure(info.context, username)
            raise
        login_throttle.record_success(info.context, username)
        return result


class GetCsrfTokenMutation(graphene.Mutation):
    """openIMIS fe-core asks for Django's CSRF token right after login and sends it back as
    `X-CSRFToken` (the `csrftoken` cookie is set with it). Our GraphQL and REST endpoints take
    JSON bodies only, which is what protects them from cross-site forms; the token is served so
    that front ends which expect it work unchanged."""

    csrf_token = graphene.String(required=True)

    @classmethod
    def mutate(cls, root, info):
        return cls(csrf_token=get_token(info.context))
