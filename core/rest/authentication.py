"""DRF authentication: the same JWT as GraphQL, and per-organisation API keys.

An API key authenticates as a TenantContext for the key's organisation and role, placed on the
Django request (`request._tenant_context`) where core.tenancy.tenant_for_request finds it: the
`X-Organization` header plays no part. The request's user is the key's creator (`created_by`):
every write it makes is audited as that person's, and the key stops working when that user is
deactivated (or the key revoked, or its organisation deleted). The role is the key's own, never
the creator's, so a key may act with less than its creator's rights. An API key is never a
customer principal (core.tenancy.customer_for_request): the /v2/me routes show it nothing."""
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from core.auth import token_from_request, user_from_token
from core.error_codes import CoreErrorCode
from core.tenancy import TenantContext

API_KEY_HEADER = "HTTP_X_API_KEY"
API_KEY_SCHEME = "api-key"


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
            code, message = error
            raise exceptions.AuthenticationFailed(detail=message, code=code.name)
        return user, token

    def authenticate_header(self, request):
        return 'Bearer realm="molink"'


def api_key_secret(django_request) -> str | None:
    """The secret of `X-Api-Key: <secret>` or `Authorization: Api-Key <secret>`; None when the
    request names no API key ("" when it names an empty one)."""
    if API_KEY_HEADER in django_request.META:
        return django_request.META[API_KEY_HEADER].strip()
    parts = django_request.META.get("HTTP_AUTHORIZATION", "").split(None, 1)
    if parts and parts[0].lower() == API_KEY_SCHEME:
        return parts[1].strip() if len(parts) == 2 else ""
    return None


class ApiKeyAuthentication(BaseAuthentication):
    """`X-Api-Key: <secret>` (or `Authorization: Api-Key <secret>`). A key that is unknown,
    revoked, of a deleted organisation or of a deactivated creator → 401 API_KEY_INVALID.
    Listed before JWTAuthentication: an API key, when sent, wins."""

    def authenticate(self, request):
        from core.services.api_keys import api_key_for_secret, api_key_touch

        django_request = request._request
        secret = api_key_secret(django_request)
        if secret is None:
            return None
        key = api_key_for_secret(secret)
        if key is None:
            raise exceptions.AuthenticationFailed(detail="the API key is unknown or revoked",
                                                  code=CoreErrorCode.API_KEY_INVALID.name)
        django_request._tenant_context = TenantContext(key.created_by, key.organization, key.role)
        django_request._api_key = key  # an organisation's credential: never a customer (core.tenancy)
        django_request.auth_error = None
        api_key_touch(key)
        return key.created_by, key

    def authenticate_header(self, request):
        return 'Bearer realm="molink", Api-Key'
