"""JWT lifetimes and refresh-token rotation/revocation (django-graphql-jwt configured in
config/settings.py, rotation revoked by core.auth.revoke_rotated_refresh_token)."""
from __future__ import annotations

import json
import time
from datetime import timedelta

import jwt
from django.conf import settings
from django.test import Client
from django.utils import timezone
from graphql_jwt.refresh_token.models import RefreshToken
from graphql_jwt.settings import jwt_settings
from graphql_jwt.utils import jwt_encode

from tests.helpers.graphql import data, error_codes, post

PASSWORD = "secret-pass-123"
ME = "{ me { user { username } } }"
TOKEN_AUTH = "mutation($u: String!, $p: String!) { tokenAuth(username: $u, password: $p) { token refreshToken } }"
REFRESH = "mutation($r: String) { refreshToken(refreshToken: $r) { token refreshToken } }"


def _login(user) -> dict:
    return data(post(TOKEN_AUTH, {"u": user.username, "p": PASSWORD}))["tokenAuth"]


def test_lifetimes_are_5_minutes_and_7_days():
    config = settings.GRAPHQL_JWT
    assert config["JWT_VERIFY_EXPIRATION"] is True
    assert config["JWT_EXPIRATION_DELTA"] == timedelta(minutes=5)
    assert config["JWT_REFRESH_EXPIRATION_DELTA"] == timedelta(days=7)
    assert config["JWT_LONG_RUNNING_REFRESH_TOKEN"] is True  # refresh tokens are database rows: revocable
    assert not config.get("JWT_REUSE_REFRESH_TOKENS", False)  # every refresh issues a new one


def test_an_access_token_expires_5_minutes_after_it_is_issued(user_a):
    # given a token from tokenAuth
    token = _login(user_a)["token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    # then its expiry is 5 minutes away
    assert 295 <= claims["exp"] - time.time() <= 301
    # and the same claims 5 minutes later (expired), signed with the real key, are refused
    claims["exp"] = int(time.time()) - 1
    assert error_codes(post(ME, token=jwt_encode(claims))) == ["TOKEN_EXPIRED"]
    assert data(post(ME, token=token))["me"]["user"]["username"] == user_a.username


def test_an_access_token_without_expiry_is_refused(user_a):
    claims = jwt.decode(_login(user_a)["token"], options={"verify_signature": False})
    del claims["exp"]
    assert error_codes(post(ME, token=jwt_encode(claims))) == ["TOKEN_INVALID"]


def test_an_unsigned_access_token_is_refused(user_a):
    claims = jwt.decode(_login(user_a)["token"], options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert error_codes(post(ME, token=unsigned)) == ["TOKEN_INVALID"]


def test_the_rotated_refresh_token_is_revoked(user_a):
    # given
    first = _login(user_a)["refreshToken"]
    # when it is used once
    second = data(post(REFRESH, {"r": first}))["refreshToken"]["refreshToken"]
    # then the old row is revoked, the new one is not, and only the new one refreshes
    assert RefreshToken.objects.get(token=first).revoked is not None
    assert RefreshToken.objects.get(token=second).revoked is None
    assert error_codes(post(REFRESH, {"r": first})) == ["TOKEN_INVALID"]
    assert data(post(REFRESH, {"r": second}))["refreshToken"]["token"]


def test_the_rotated_refresh_token_cookie_is_revoked_too(user_a):
    # given a browser logged in with cookies
    client = Client()
    client.post("/graphql", json.dumps({"query": TOKEN_AUTH, "variables": {"u": user_a.username, "p": PASSWORD}}),
                content_type="application/json")
    first = client.cookies[jwt_settings.JWT_REFRESH_TOKEN_COOKIE_NAME].value
    # when it refreshes through its cookie
    response = client.post("/graphql", json.dumps({"query": "mutation { refreshToken { token } }"}),
                           content_type="application/json")
    # then it got a new refresh cookie and the old token is revoked
    assert response.json()["data"]["refreshToken"]["token"]
    assert client.cookies[jwt_settings.JWT_REFRESH_TOKEN_COOKIE_NAME].value != first
    assert RefreshToken.objects.get(token=first).revoked is not None


def test_the_jwt_cookies_are_http_only_and_same_site(user_a):
    response = Client().post(
        "/graphql", json.dumps({"query": TOKEN_AUTH, "variables": {"u": user_a.username, "p": PASSWORD}}),
        content_type="application/json")
    for name in (jwt_settings.JWT_COOKIE_NAME, jwt_settings.JWT_REFRESH_TOKEN_COOKIE_NAME):
        cookie = response.cookies[name]
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"


def test_a_refresh_token_expires_after_7_days(user_a):
    # given two refresh tokens, issued 7 days minus a minute and 7 days plus a minute ago
    fresh, stale = _login(user_a)["refreshToken"], _login(user_a)["refreshToken"]
    RefreshToken.objects.filter(token=fresh).update(created=timezone.now() - timedelta(days=7) + timedelta(minutes=1))
    RefreshToken.objects.filter(token=stale).update(created=timezone.now() - timedelta(days=7, minutes=1))
    # when / then
    assert data(post(REFRESH, {"r": fresh}))["refreshToken"]["token"]
    assert error_codes(post(REFRESH, {"r": stale})) == ["TOKEN_EXPIRED"]


def test_a_revoked_refresh_token_cannot_refresh(user_a):
    token = _login(user_a)["refreshToken"]
    data(post("mutation($r: String) { revokeToken(refreshToken: $r) { revoked } }", {"r": token}))
    assert error_codes(post(REFRESH, {"r": token})) == ["TOKEN_INVALID"]
