"""Operator users: an organisation invites a person to see the invoices it bills one of its
operators (the portal, GraphQL `myInvoices`, REST `/v2/me/...`).

`invite_operator_user` creates the user (no password, no Membership) or reuses the one of that
e-mail address, and returns a one-time invitation token — the secret of the magic link — of which
only the SHA-256 is kept, valid OPERATOR_INVITATION_TTL_HOURS. `accept_operator_invitation` spends
it: a new account gets its password then; an account that already has one (a person invited by a
second organisation, or a member of some organisation) must be logged in as itself to accept, so
that whoever holds an invitation token can never take over an existing account. Afterwards the
user logs in with the ordinary `tokenAuth`.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core import validation
from core.error_codes import CoreErrorCode
from core.errors import DomainError
from core.models import Organization, User
from payment_module.error_codes import OperatorUserErrorCode
from payment_module.models import Operator, OperatorUser

TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _save(link: OperatorUser, *, actor, reason: str) -> None:
    link._history_user = actor
    link._change_reason = reason
    link.save()


@transaction.atomic
def invite_operator_user(*, actor, organization: Organization, operator: Operator,
                         email: str) -> tuple[OperatorUser, str]:
    """(link, token): `email`'s access to `operator`'s invoices, pending until the token is
    accepted. Inviting again a pending invitation issues a new token (the old one stops working);
    an accepted one is ALREADY_INVITED."""
    if operator.organization_id != organization.pk:  # callers load the operator scoped; never trust it
        raise DomainError(CoreErrorCode.NOT_FOUND, f"operator {operator.pk} not found", "operatorId")
    if not operator.is_active:
        raise DomainError(OperatorUserErrorCode.OPERATOR_INACTIVE, f"operator {operator.code} is inactive",
                          "operatorId")
    email = (email or "").strip().lower()
    validation.ensure_required(email, "email")
    validation.ensure_email(email, "email")
    user = User.objects.filter(username__iexact=email).first()
    if user is None:
        user = User(username=email, email=email)
        user.set_unusable_password()
        user._history_user = actor
        user.save()
    link = OperatorUser.objects.select_for_update().filter(user=user, operator=operator).first()
    if link is not None and link.date_accepted is not None:
        raise DomainError(OperatorUserErrorCode.ALREADY_INVITED,
                          f"{email} already has access to operator {operator.code}", "email")
    token = _new_token()
    now = timezone.now()
    if link is None:
        link = OperatorUser(organization=organization, operator=operator, user=user)
    link.invited_by, link.date_invited = actor, now
    link.token_hash = token_hash(token)
    link.token_expires_at = now + timedelta(hours=settings.OPERATOR_INVITATION_TTL_HOURS)
    _save(link, actor=actor, reason="operator_user_invite")
    return link, token


@transaction.atomic
def accept_operator_invitation(*, token: str, password: str | None, user=None) -> OperatorUser:
    """Spend an invitation token. `user` is the caller when logged in (None otherwise).
    - unknown or used token → INVITATION_INVALID; past its expiry → INVITATION_EXPIRED;
    - the invited account has no password yet: `password` is required and becomes its password;
    - it already has one: the caller must be logged in as that account (INVITATION_LOGIN_REQUIRED),
      and `password` is not used."""
    validation.ensure_required(token, "token")
    link = (OperatorUser.objects.select_for_update().select_related("user", "operator")
            .filter(token_hash=token_hash(token.strip())).first())
    if link is None:
        raise DomainError(OperatorUserErrorCode.INVITATION_INVALID, "this invitation is unknown or already used",
                          "token")
    if link.token_expires_at is None or link.token_expires_at <= timezone.now():
        raise DomainError(OperatorUserErrorCode.INVITATION_EXPIRED,
                          "this invitation has expired: ask the organisation for a new one", "token")
    invited = link.user
    caller = user if user is not None and user.is_authenticated else None
    if invited.has_usable_password():
        if caller is None or caller.pk != invited.pk:
            raise DomainError(OperatorUserErrorCode.INVITATION_LOGIN_REQUIRED,
                              "this account already exists: log in as it (tokenAuth), then accept the invitation",
                              "token")
    else:
        validation.ensure_required(password, "password")
        try:
            validate_password(password, invited)
        except ValidationError as exc:
            raise DomainError(CoreErrorCode.INVALID, " ".join(exc.messages), "password") from None
        invited.set_password(password)
        invited._history_user = invited
        invited.save()
    link.date_accepted = timezone.now()
    link.token_hash, link.token_expires_at = None, None
    _save(link, actor=invited, reason="operator_user_accept")
    return link
