"""Inviting operator users and accepting invitations: one-time, expiring, hashed tokens; an
existing account is never taken over by whoever holds its invitation."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from core.errors import DomainError
from core.models import Membership, User
from payment_module.models import OperatorUser
from payment_module.services.operator_users import (
    accept_operator_invitation,
    invite_operator_user,
    token_hash,
)
from tests.helpers.graphql import (
    assert_mutation_errors,
    assert_mutation_ok,
    data,
    error_codes,
    post,
)
from tests.payment_module.helpers import errors_of

EMAIL = "pf-dupont@operateur.test"
PASSWORD = "portal-pass-123"


def login(username: str, password: str) -> dict:
    return post(f'mutation {{ tokenAuth(username: "{username}", password: "{password}") {{ token }} }}')


def test_an_invitation_creates_a_user_without_password_nor_membership(user_a, org_a, operator_a):
    # when
    link, token = invite_operator_user(actor=user_a, organization=org_a, operator=operator_a, email=" PF-Dupont@Operateur.test ")

    # then
    user = User.objects.get(username=EMAIL)
    assert (link.user, link.operator, link.organization, link.invited_by) == (user, operator_a, org_a, user_a)
    assert not user.has_usable_password() and not Membership.objects.filter(user=user).exists()
    assert link.date_accepted is None and link.token_hash == token_hash(token) and token not in link.token_hash
    assert len(token) >= 40
    assert timedelta(hours=71) < link.token_expires_at - timezone.now() <= timedelta(hours=72)
    assert "token_hash" not in {f.name for f in OperatorUser.history.model._meta.fields}


def test_accepting_sets_the_password_once_then_the_user_logs_in(user_a, org_a, operator_a):
    # given
    _link, token = invite_operator_user(actor=user_a, organization=org_a, operator=operator_a, email=EMAIL)

    # when
    link = accept_operator_invitation(token=token, password=PASSWORD)

    # then
    assert link.date_accepted is not None and link.token_hash is None and link.token_expires_at is None
    assert data(login(EMAIL, PASSWORD))["tokenAuth"]["token"]
    with pytest.raises(DomainError) as reused:
        accept_operator_invitation(token=token, password="another-pass-456")
    assert errors_of(reused) == [("token", "INVITATION_INVALID")]
    assert User.objects.get(username=EMAIL).check_password(PASSWORD)


def test_an_expired_invitation_is_refused(user_a, org_a, operator_a, settings):
    settings.OPERATOR_INVITATION_TTL_HOURS = 1
    link, token = invite_operator_user(actor=user_a, organization=org_a, operator=operator_a, email=EMAIL)
    OperatorUser.objects.filter(pk=link.pk).update(token_expires_at=timezone.now() - timedelta(seconds=1))

    with pytest.raises(DomainError) as expired:
        accept_operator_invitation(token=token, password=PASSWORD)

    assert errors_of(expired) == [("token", "INVITATION_EXPIRED")]
    assert not User.objects.get(username=EMAIL).has_usable_password()


def test_inviting_again_replaces_the_pending_token(user_a, org_a, operator_a):
    _link, first = invite_operator_user(actor=user_a, organization=org_a, operator=operator_a, email=EMAIL)
    _link, second = invite_operator_user(actor=user_a, organization=org_a, operator=operator_a, email=EMAIL)

    with pytest.raises(DomainError) as old:
        accept_operator_invitation(token=first, password=PASSWORD)
    assert errors_of(old) == [("token", "INVITATION_INVALID")]
    accept_operator_invitation(token=second, password=PASSWORD)
    assert OperatorUser.objects.count() == 1
    with pytest.raises(DomainError) as again:
        invite_operator_user(actor=user_a, organization=org_a, operator=operator_a, email=EMAIL)
    assert errors_of(again) == [("email", "ALREADY_INVITED")]


def test_an_existing_account_accepts_only_when_logged_in_as_itself(user_a, org_a, operator_a, user_b, org_b,
                                                                   operator_b):
    # given: the person accepted Org A's invitation; Org B invites the same address
    _link, token_a = invite_operator_user(actor=user_a, organization=org_a, operator=operator_a, email=EMAIL)
    person = accept_operator_invitation(token=token_a, password=PASSWORD).user
    _link, token_b = invite_operator_user(actor=user_b, organization=org_b, operator=operator_b, email=EMAIL)

    # when whoever holds the token (Org B's staff) tries to set a password with it
    with pytest.raises(DomainError) as refused:
        accept_operator_invitation(token=token_b, password="taken-over-789")
    with pytest.raises(DomainError) as other_user:
        accept_operator_invitation(token=token_b, password=None, user=user_b)

    # then the account is untouched; the person accepts, logged in
    assert errors_of(refused) == errors_of(other_user) == [("token", "INVITATION_LOGIN_REQUIRED")]
    assert User.objects.get(pk=person.pk).check_password(PASSWORD)
    accept_operator_invitation(token=token_b, password=None, user=person)
    assert set(OperatorUser.objects.filter(user=person, date_accepted__isnull=False)
               .values_list("operator", flat=True)) == {operator_a.pk, operator_b.pk}


def test_a_staff_member_invited_keeps_their_password(user_a, org_a, operator_a, user_b):
    _link, token = invite_operator_user(actor=user_a, organization=org_a, operator=operator_a, email=user_b.username)
    with pytest.raises(DomainError) as refused:
        accept_operator_invitation(token=token, password="taken-over-789")
    assert errors_of(refused) == [("token", "INVITATION_LOGIN_REQUIRED")]
    assert User.objects.get(pk=user_b.pk).check_password("secret-pass-123")


@pytest.mark.parametrize(("email", "code"), [("", "REQUIRED"), ("not-an-email", "INVALID")])
def test_a_bad_email_is_refused_and_nothing_is_written(user_a, org_a, operator_a, email, code):
    users = User.objects.count()
    with pytest.raises(DomainError) as raised:
        invite_operator_user(actor=user_a, organization=org_a, operator=operator_a, email=email)
    assert [field for field, _code in errors_of(raised)] == ["email"]
    assert User.objects.count() == users and not OperatorUser.objects.exists()


def test_an_inactive_operator_cannot_be_invited_to(user_a, org_a, operator_a):
    operator_a.is_active = False
    operator_a.save()
    with pytest.raises(DomainError) as raised:
        invite_operator_user(actor=user_a, organization=org_a, operator=operator_a, email=EMAIL)
    assert errors_of(raised) == [("operatorId", "OPERATOR_INACTIVE")]


def test_a_weak_password_is_refused(user_a, org_a, operator_a):
    _link, token = invite_operator_user(actor=user_a, organization=org_a, operator=operator_a, email=EMAIL)
    with pytest.raises(DomainError) as raised:
        accept_operator_invitation(token=token, password="short")
    assert errors_of(raised) == [("password", "INVALID")]
    assert OperatorUser.objects.get().date_accepted is None


# --- GraphQL and REST -----------------------------------------------------------------------------

INVITE = """mutation($op: String!, $email: String!) { inviteOperatorUser(input: {operatorId: $op, email: $email,
    clientMutationId: "inv-1"}) { errors { field code } invitationToken operatorUser { email isAccepted
    operator { code } } } }"""
ACCEPT = """mutation($token: String!, $password: String) { acceptOperatorInvitation(input: {token: $token,
    password: $password}) { errors { field code } username } }"""


def test_invite_then_accept_through_graphql(user_a, operator_a):
    # when
    payload = assert_mutation_ok(post(INVITE, {"op": str(operator_a.pk), "email": EMAIL}, user=user_a),
                                 "inviteOperatorUser")
    accepted = assert_mutation_ok(post(ACCEPT, {"token": payload["invitationToken"], "password": PASSWORD}),
                                  "acceptOperatorInvitation")

    # then
    assert payload["operatorUser"] == {"email": EMAIL, "isAccepted": False, "operator": {"code": operator_a.code}}
    assert accepted["username"] == EMAIL
    assert data(login(EMAIL, PASSWORD))["tokenAuth"]["token"]
    listed = data(post("{ operatorUser { edges { node { email isAccepted } } } }", user=user_a))
    assert listed["operatorUser"]["edges"] == [{"node": {"email": EMAIL, "isAccepted": True}}]
    from core.models import MutationLog

    logged = MutationLog.objects.get(mutation_name="AcceptOperatorInvitationMutation")
    assert payload["invitationToken"] not in logged.json_content and PASSWORD not in logged.json_content


def test_only_operator_managers_invite_and_only_to_their_operators(viewer_a, user_b, operator_a):
    result = post(INVITE, {"op": str(operator_a.pk), "email": EMAIL}, user=viewer_a)
    assert_mutation_errors(result, "inviteOperatorUser", [(None, "PERMISSION_DENIED")])
    result = post(INVITE, {"op": str(operator_a.pk), "email": EMAIL}, user=user_b)
    assert_mutation_errors(result, "inviteOperatorUser", [("operatorId", "NOT_FOUND")])
    assert error_codes(post(INVITE, {"op": str(operator_a.pk), "email": EMAIL})) == ["UNAUTHENTICATED"]
    assert not OperatorUser.objects.exists()


def test_a_bad_token_is_refused_through_graphql_and_rest(db):
    assert_mutation_errors(post(ACCEPT, {"token": "nope", "password": PASSWORD}), "acceptOperatorInvitation",
                           [("token", "INVITATION_INVALID")])
    response = Client().post("/v2/me/invitations/accept", json.dumps({"token": "nope", "password": PASSWORD}),
                             content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "INVITATION_INVALID"


def test_accept_through_rest(user_a, org_a, operator_a):
    _link, token = invite_operator_user(actor=user_a, organization=org_a, operator=operator_a, email=EMAIL)
    response = Client().post("/v2/me/invitations/accept", json.dumps({"token": token, "password": PASSWORD}),
                             content_type="application/json")
    assert response.status_code == 200 and response.json() == {"username": EMAIL}
    assert User.objects.get(username=EMAIL).check_password(PASSWORD)
