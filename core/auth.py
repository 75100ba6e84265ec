"""Who is calling: the one place a JWT (header or cookie) becomes a user.

Used by the Django middleware (GraphQL, admin) and by the DRF authentication class. A bad or
expired token does not raise here: it leaves an anonymous user and an `auth_error` code on the
request, which the GraphQL/REST layers report with a clear code when the call needs a user.
"""
from __future__ import annotations

import jwt
from django.contrib.auth.models import AnonymousUser
from graphql_jwt.exceptions import JSONWebTokenError, JSONWebTokenExpired
from graphql_jwt.settings import jwt_settings
from graphql_jwt.utils import get_payload, get_user_by_payload

from core.error_codes import CoreErrorCode


def jwt_decode(token: str, context=None) -> dict:
    """django-graphql-jwt's decoder (JWT_DECODE_HANDLER), plus: a token must carry `exp`. PyJWT
    checks an expiry only when there is one, so a signed token without it would never expire."""
    return jwt.decode(
        token,
        jwt_settings.JWT_PUBLIC_KEY or jwt_settings.JWT_SECRET_KEY,
        options={
            "verify_exp": jwt_settings.JWT_VERIFY_EXPIRATION,
            "verify_aud": jwt_settings.JWT_AUDIENCE is not None,
            "verify_signature": True,
            "require": ["exp"],
        },
        leeway=jwt_settings.JWT_LEEWAY,
        audience=jwt_settings.JWT_AUDIENCE,
        issuer=jwt_settings.JWT_ISSUER,
        algorithms=[jwt_settings.JWT_ALGORITHM],
    )


def user_by_natural_key(username: str):
    """The token's user (JWT_GET_USER_BY_NATURAL_KEY_HANDLER) and, in the same query, its
    memberships with their organisations, kept on the user for core.tenancy: every request made
    with a token needs both, and one query instead of two is ~1 ms of the ~5 ms a small request
    costs. A user without membership is read alone."""
    from django.contrib.auth import get_user_model

    from core.models import Membership

    model = get_user_model()
    memberships = list(Membership.objects.select_related("user", "organization")
                       .filter(**{f"user__{model.USERNAME_FIELD}": username}))
    if not memberships:
        return model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()
    user = memberships[0].user
    for membership in memberships:
        membership.user = user
    user.loaded_memberships = memberships
    return user


def token_from_request(request) -> str | None:
    header = request.META.get(jwt_settings.JWT_AUTH_HEADER_NAME, "")
    parts = header.split()
    if len(parts) == 2 and parts[0].lower() in {jwt_settings.JWT_AUTH_HEADER_PREFIX.lower(), "jwt"}:
        return parts[1]
    if header:
        return header  # malformed header: let decoding report it
    return request.COOKIES.get(jwt_settings.JWT_COOKIE_NAME)


def user_from_token(token: str):
    """Return (user, None) or (None, (code, message))."""
    try:
        payload = get_payload(token)
        user = get_user_by_payload(payload)
    except JSONWebTokenExpired:
        return None, (CoreErrorCode.TOKEN_EXPIRED, "the access token has expired: refresh it or log in again")
    except JSONWebTokenError:
        return None, (CoreErrorCode.TOKEN_INVALID, "the access token is invalid")
    if user is None or not user.is_active:
        return None, (CoreErrorCode.TOKEN_INVALID, "the access token's user is unknown or inactive")
    return user, None


def authenticate_request(request) -> None:
    """An Authorization header always wins; the JWT cookie is used only when no session user is
    logged in (so a stale cookie cannot replace an admin session)."""
    request.auth_error = None
    has_header = bool(request.META.get(jwt_settings.JWT_AUTH_HEADER_NAME))
    session_user = getattr(request, "user", None)
    if not has_header and session_user is not None and session_user.is_authenticated:
        return
    token = token_from_request(request)
    if not token:
        return
    user, error = user_from_token(token)
    if user is not None:
        request.user = user
    else:
        request.user = AnonymousUser()
        request.auth_error = error


def revoke_rotated_refresh_token(sender, request, refresh_token, **kwargs) -> None:
    """refreshToken returns a new refresh token; the one it replaced must stop working."""
    refresh_token.revoke(request)
