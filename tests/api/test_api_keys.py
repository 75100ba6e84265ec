"""API keys through GraphQL (createApiKey / revokeApiKey) and their use on REST /v2."""
from __future__ import annotations

import uuid

import pytest

from core.models import ApiKey, Membership, MutationLog
from core.services.api_keys import hash_secret
from tests.api.conftest import api_key
from tests.helpers.graphql import assert_mutation_errors, assert_mutation_ok, post

pytestmark = pytest.mark.django_db

CREATE = """mutation($name: String!, $role: String) {
  createApiKey(input: {name: $name, role: $role}) { errors { field code message } secret apiKey { id name prefix role } }
}"""
REVOKE = """mutation($id: UUID!) {
  revokeApiKey(input: {id: $id}) { errors { field code message } apiKey { id revokedAt } }
}"""


def test_admin_creates_a_key_whose_secret_is_shown_once_and_stored_hashed(api, user_a, org_a):
    payload = assert_mutation_ok(post(CREATE, {"name": "ERP export", "role": "viewer"}, user=user_a), "createApiKey")

    key = ApiKey.objects.get(pk=payload["apiKey"]["id"])
    secret = payload["secret"]
    assert payload["apiKey"] == {"id": str(key.pk), "name": "ERP export", "prefix": key.prefix, "role": "viewer"}
    assert secret.startswith(f"mlk_{key.prefix}_") and len(secret) > 40
    assert key.key_hash == hash_secret(secret) and secret not in key.key_hash
    assert (key.organization, key.created_by) == (org_a, user_a)
    assert secret not in str(MutationLog.objects.values_list("json_content", flat=True)[0])
    assert api.get("/v2/invoices", api_key(secret))[0] == 200


def test_role_defaults_to_accountant_and_bad_input_is_refused(user_a):
    payload = assert_mutation_ok(post(CREATE, {"name": "default"}, user=user_a), "createApiKey")
    assert payload["apiKey"]["role"] == Membership.Role.ACCOUNTANT

    assert_mutation_errors(post(CREATE, {"name": "x", "role": "owner"}, user=user_a), "createApiKey", [("role", "INVALID")])
    assert_mutation_errors(post(CREATE, {"name": "  "}, user=user_a), "createApiKey", [("name", "REQUIRED")])


@pytest.mark.parametrize("role", [Membership.Role.ACCOUNTANT, Membership.Role.VIEWER])
def test_only_admins_manage_keys(org_a, member_of, role):
    user = member_of(org_a, role)

    assert_mutation_errors(post(CREATE, {"name": "mine"}, user=user), "createApiKey", [(None, "PERMISSION_DENIED")])
    assert not ApiKey.objects.exists()


def test_revoke_makes_the_key_answer_401(api, user_a):
    created = assert_mutation_ok(post(CREATE, {"name": "old"}, user=user_a), "createApiKey")

    revoked = assert_mutation_ok(post(REVOKE, {"id": created["apiKey"]["id"]}, user=user_a), "revokeApiKey")

    assert revoked["apiKey"]["revokedAt"]
    status, error = api.get("/v2/invoices", api_key(created["secret"]))
    assert (status, error["code"]) == (401, "API_KEY_INVALID")


def test_another_organisations_key_cannot_be_revoked(api, user_a, user_b):
    created = assert_mutation_ok(post(CREATE, {"name": "a"}, user=user_a), "createApiKey")

    for ident in (created["apiKey"]["id"], str(uuid.uuid4())):
        assert_mutation_errors(post(REVOKE, {"id": ident}, user=user_b), "revokeApiKey", [("id", "NOT_FOUND")])
    assert ApiKey.objects.get(pk=created["apiKey"]["id"]).revoked_at is None
    assert api.get("/v2/invoices", api_key(created["secret"]))[0] == 200


def test_api_key_ignores_x_organization_and_acts_for_its_own_organisation(api, user_a, org_b):
    created = assert_mutation_ok(post(CREATE, {"name": "a"}, user=user_a), "createApiKey")

    status, page = api.get("/v2/invoices", {**api_key(created["secret"]), "HTTP_X_ORGANIZATION": str(org_b.pk)})

    assert (status, page["count"]) == (200, 0)
