import graphql_jwt
from django.contrib.auth import get_user_model
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
