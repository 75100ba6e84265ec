"""Authentication over GraphQL: JWT by `Authorization: Bearer` or the `JWT` cookie, refresh and
revocation, the organisation a user acts for (`X-Organization`), and error codes that are never a
500."""
from __future__ import annotations

import base64
import json
from calendar import timegm
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from graphql_jwt.refresh_token.models import RefreshToken
from graphql_jwt.settings import jwt_settings
from graphql_jwt.utils import jwt_encode, jwt_payload

from core.models import Membership
from tests.helpers.fixtures import make_user
from tests.helpers.graphql import data, error_codes, post, token_for

PASSWORD = "secret-pass-123"

ME = "{ me { role user { username } organization { code } } }"

TOKEN_AUTH = """
mutation($username: String!, $password: String!) {
  tokenAuth(username: $username, password: $password) { token refreshToken payload }
}"""

REFRESH = """
mutation($refreshToken: String) { refreshToken(refreshToken: $refreshToken) { token refreshToken payload } }"""

REVOKE = "mutation($refreshToken: String) { revokeToken(refreshToken: $refreshToken) { revoked } }"


def raw_post(client: Client, query: str, variables: dict | None = None, **extra):
    response = client.post(
        "/graphql", json.dumps({"query": query, "variables": variables or {}}), content_type="application/json",
        **extra,
    )
    assert response.status_code != 500, response.content
    return response


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# --- Who is calling ---------------------------------------------------------------------------


def test_anonymous_query_is_unauthenticated(db):
    # given no token / when
    result = post(ME)

    # then
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert result["data"] is None


def test_bearer_token_authenticates(user_a):
    # given
    token = token_for(user_a)

    # when
    result = post(ME, token=token)

    # then
    assert data(result)["me"] == {"role": "admin", "user": {"username": "admin-a@molink.test"},
                                  "organization": {"code": "org-a"}}


def test_token_auth_then_bearer(user_a):
    # given
    login = post(TOKEN_AUTH, {"username": "admin-a@molink.test", "password": PASSWORD})
    token = data(login)["tokenAuth"]["token"]

    # when
    result = post(ME, token=token)

    # then
    assert data(login)["tokenAuth"]["payload"]["username"] == "admin-a@molink.test"
    assert data(result)["me"]["user"]["username"] == "admin-a@molink.test"


@pytest.mark.parametrize(("username", "password"), [("admin-a@molink.test", "wrong-password"),
                                                    ("nobody@molink.test", PASSWORD)])
def test_token_auth_with_bad_credentials_is_invalid_credentials(user_a, username, password):
    # given / when
    result = post(TOKEN_AUTH, {"username": username, "password": password})

    # then
    assert error_codes(result) == ["INVALID_CREDENTIALS"]
    assert result["data"] == {"tokenAuth": None}
    assert RefreshToken.objects.count() == 0


def test_expired_token_is_token_expired(user_a):
    # given a token whose exp is in the past, signed with the real key
    payload = jwt_payload(user_a)
    payload["exp"] = timegm((datetime.now(UTC) - timedelta(minutes=1)).utctimetuple())
    token = jwt_encode(payload)

    # when
    result = post(ME, token=token)

    # then
    assert error_codes(result) == ["TOKEN_EXPIRED"]


def _tamper_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    middle = len(signature) // 2  # not the last char: its low bits are base64 padding
    flipped = "A" if signature[middle] != "A" else "B"
    return ".".join((header, payload, signature[:middle] + flipped + signature[middle + 1:]))


def _tamper_payload(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["username"] = "admin-b@molink.test"
    return ".".join((header, _b64(claims), signature))


def _forged_with_other_key(token: str) -> str:
    import jwt

    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, "not-the-server-key-but-long-enough-for-hs256", algorithm="HS256")


@pytest.mark.parametrize(
    "tamper",
    [_tamper_signature, _tamper_payload, _forged_with_other_key, lambda token: token[:-10], lambda token: "garbage"],
    ids=["signature", "payload", "other-key", "truncated", "garbage"],
)
def test_tampered_token_is_token_invalid(user_a, user_b, tamper):
    # given a genuine token of user A, altered
    token = tamper(token_for(user_a))

    # when
    result = post(ME, token=token)

    # then
    assert error_codes(result) == ["TOKEN_INVALID"]
    assert result["data"] is None


def test_token_of_an_inactive_user_is_token_invalid(user_a):
    # given
    token = token_for(user_a)
    user_a.is_active = False
    user_a.save()

    # when
    result = post(ME, token=token)

    # then
    assert error_codes(result) == ["TOKEN_INVALID"]


def test_token_auth_sets_the_jwt_cookie_which_authenticates(user_a):
    # given a browser-like client that logs in
    client = Client()
    login = raw_post(client, TOKEN_AUTH, {"username": "admin-a@molink.test", "password": PASSWORD})

    # when it queries with its cookies only
    response = raw_post(client, ME)

    # then
    assert login.cookies[jwt_settings.JWT_COOKIE_NAME].value == login.json()["data"]["tokenAuth"]["token"]
    assert jwt_settings.JWT_REFRESH_TOKEN_COOKIE_NAME in login.cookies
    assert response.json()["data"]["me"]["user"]["username"] == "admin-a@molink.test"


def test_jwt_cookie_authenticates(user_a):
    # given
    client = Client()
    client.cookies[jwt_settings.JWT_COOKIE_NAME] = token_for(user_a)

    # when
    response = raw_post(client, ME)

    # then
    assert response.json()["data"]["me"]["organization"] == {"code": "org-a"}


def test_delete_token_cookie_logs_the_browser_out(user_a):
    # given a logged-in browser
    client = Client()
    raw_post(client, TOKEN_AUTH, {"username": "admin-a@molink.test", "password": PASSWORD})

    # when
    deleted = raw_post(client, "mutation { deleteTokenCookie { deleted } }")
    after = raw_post(client, ME)

    # then
    assert deleted.json()["data"] == {"deleteTokenCookie": {"deleted": True}}
    assert [e["extensions"]["code"] for e in after.json()["errors"]] == ["UNAUTHENTICATED"]


# --- Refresh tokens ---------------------------------------------------------------------------


def test_refresh_token_issues_a_working_access_token(user_a):
    # given
    refresh_token = data(post(TOKEN_AUTH, {"username": "admin-a@molink.test", "password": PASSWORD}))[
        "tokenAuth"]["refreshToken"]

    # when
    refreshed = data(post(REFRESH, {"refreshToken": refresh_token}))["refreshToken"]

    # then
    assert refreshed["payload"]["username"] == "admin-a@molink.test"
    assert data(post(ME, token=refreshed["token"]))["me"]["role"] == "admin"


def test_revoked_refresh_token_can_no_longer_refresh(user_a):
    # given
    refresh_token = data(post(TOKEN_AUTH, {"username": "admin-a@molink.test", "password": PASSWORD}))[
        "tokenAuth"]["refreshToken"]

    # when
    revoked = post(REVOKE, {"refreshToken": refresh_token})
    result = post(REFRESH, {"refreshToken": refresh_token})

    # then
    assert isinstance(data(revoked)["revokeToken"]["revoked"], int)
    assert RefreshToken.objects.get(token=refresh_token).revoked is not None
    assert error_codes(result) == ["TOKEN_INVALID"]
    assert result["data"] == {"refreshToken": None}


def test_rotated_refresh_token_can_no_longer_refresh(user_a):
    # given a refresh token used once (it is rotated: a new one is returned)
    first = data(post(TOKEN_AUTH, {"username": "admin-a@molink.test", "password": PASSWORD}))[
        "tokenAuth"]["refreshToken"]
    second = data(post(REFRESH, {"refreshToken": first}))["refreshToken"]["refreshToken"]

    # when the old one is replayed
    replayed = post(REFRESH, {"refreshToken": first})

    # then only the new one works
    assert second != first
    assert error_codes(replayed) == ["TOKEN_INVALID"]
    assert data(post(REFRESH, {"refreshToken": second}))["refreshToken"]["payload"]["username"] == "admin-a@molink.test"


@pytest.mark.parametrize("mutation", [REFRESH, REVOKE], ids=["refresh", "revoke"])
def test_unknown_refresh_token_is_token_invalid(db, mutation):
    # given / when
    result = post(mutation, {"refreshToken": "not-a-refresh-token"})

    # then
    assert error_codes(result) == ["TOKEN_INVALID"]


def test_verify_token(user_a):
    # given
    token = token_for(user_a)

    # when
    good = post("mutation($t: String) { verifyToken(token: $t) { payload } }", {"t": token})
    bad = post("mutation($t: String) { verifyToken(token: $t) { payload } }", {"t": _tamper_signature(token)})

    # then
    assert data(good)["verifyToken"]["payload"]["username"] == "admin-a@molink.test"
    assert error_codes(bad) == ["TOKEN_INVALID"]


@pytest.mark.parametrize(
    "query",
    [
        "{ organizations { totalCount } }",
        "{ organizationHistory(id: \"00000000-0000-0000-0000-000000000000\") { version } }",
        "{ calculationRules { code } }",
        "{ pickerTypes { code } }",
        '{ pickerOptions(role: "subject", type: "organization") { id } }',
        "{ mutationLogs { totalCount } }",
    ],
    ids=["organizations", "organizationHistory", "calculationRules", "pickerTypes", "pickerOptions", "mutationLogs"],
)
def test_every_core_query_needs_authentication(org_a, query):
    # given no token / when
    result = post(query)

    # then
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert result["data"] is None or all(value is None for value in result["data"].values())


# --- Which organisation ----------------------------------------------------------------------


@pytest.fixture
def two_org_user(org_a, org_b):
    user = make_user(org_a, role=Membership.Role.ADMIN, username="both@molink.test")
    Membership.objects.create(user=user, organization=org_b, role=Membership.Role.VIEWER)
    return user


def test_user_with_two_memberships_must_name_the_organization(two_org_user):
    # given / when
    result = post(ME, user=two_org_user)

    # then
    assert error_codes(result) == ["ORGANIZATION_REQUIRED"]
    assert result["errors"][0]["extensions"]["field"] == "X-Organization"


@pytest.mark.parametrize(("header", "code", "role"), [
    ("org-a", "org-a", "admin"),
    ("org-b", "org-b", "viewer"),
    (" org-b ", "org-b", "viewer"),
])
def test_x_organization_header_picks_the_organization_by_code(two_org_user, header, code, role):
    # given / when
    result = post(ME, user=two_org_user, headers={"X-Organization": header})

    # then: the role is the one of that membership
    assert data(result)["me"]["organization"]["code"] == code
    assert data(result)["me"]["role"] == role


def test_x_organization_header_accepts_the_organization_uuid(two_org_user, org_b):
    # given / when
    result = post(ME, user=two_org_user, headers={"X-Organization": str(org_b.id)})

    # then
    assert data(result)["me"]["organization"]["code"] == "org-b"


@pytest.mark.parametrize("header", ["org-c", "00000000-0000-0000-0000-000000000000"])
def test_x_organization_header_for_a_foreign_or_unknown_organization_is_no_organization(
        two_org_user, org_a, header):
    # given org C exists but the user is not a member
    from tests.helpers.fixtures import make_organization

    make_organization("org-c", "Org C")

    # when
    result = post(ME, user=two_org_user, headers={"X-Organization": header})

    # then: same answer whether it exists or not
    assert error_codes(result) == ["NO_ORGANIZATION"]


def test_single_member_naming_another_organization_is_no_organization(user_a, org_b):
    # given / when
    result = post(ME, user=user_a, headers={"X-Organization": "org-b"})

    # then
    assert error_codes(result) == ["NO_ORGANIZATION"]


def test_user_without_membership_is_no_organization(db):
    # given
    user = make_user(None, username="lonely@molink.test")

    # when
    result = post(ME, user=user)

    # then
    assert error_codes(result) == ["NO_ORGANIZATION"]


def test_soft_deleted_organization_is_not_acted_for(user_a, org_a):
    # given
    org_a.is_deleted = True
    org_a.save()

    # when
    result = post(ME, user=user_a)

    # then
    assert error_codes(result) == ["NO_ORGANIZATION"]


# --- Never a 500 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "extra"),
    [
        ("not json", {}),
        (json.dumps({"query": "{ me { "}), {}),
        (json.dumps({"query": "{ nope }"}), {}),
        (json.dumps({"query": ME}), {"HTTP_AUTHORIZATION": "Bearer"}),
        (json.dumps({"query": ME}), {"HTTP_AUTHORIZATION": "Bearer a b c"}),
        (json.dumps({"query": ME}), {"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"}),
        (json.dumps({"query": ME}), {"HTTP_X_ORGANIZATION": "x" * 500}),
        (json.dumps({"query": 'mutation { updateOrganization(input: {id: "nope", version: 1}) { errors { code } } }'}),
         {}),
    ],
    ids=["not-json", "syntax", "unknown-field", "bearer-no-token", "bearer-3-parts", "basic", "long-org-header",
         "bad-uuid"],
)
def test_malformed_requests_are_never_a_500(user_a, body, extra):
    # given / when
    response = Client().post("/graphql", body, content_type="application/json", **extra)

    # then
    assert response.status_code in (200, 400)
    errors = response.json()["errors"]
    assert errors and all("Traceback" not in e["message"] for e in errors)
