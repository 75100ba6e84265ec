from rest_framework.authentication import BaseAuthentication

from core.auth import token_from_request, user_from_token


class JWTAuthentication(BaseAuthentication):
    """REST uses the same JWT as GraphQL (core.auth)."""

    def authenticate(self, request):
        # The Django middleware (core.middleware) already resolved header and cookie tokens.
        django_request = request._request
        if getattr(django_request, "user", None) is not None and django_request.user.is_authenticated:
            return django_request.user, None
        token = token_from_request(django_request)
        if not token:
            return None
        user, error = user_from_token(token)
        if user is None:
            from rest_framework.exceptions import AuthenticationFailed

            code, message = error
            raise AuthenticationFailed(detail=message, code=code.name)
        return user, token

    def authenticate_header(self, request):
        return 'Bearer realm="molink"'
