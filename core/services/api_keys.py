"""API keys: create (the secret is returned once, only its SHA-256 is stored) and revoke."""
from __future__ import annotations

import hashlib
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import validation
from core.error_codes import CoreErrorCode
from core.errors import DomainError
from core.models import ApiKey, Membership

SECRET_PREFIX = "mlk"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _new_secret() -> tuple[str, str]:
    prefix = secrets.token_hex(4)
    return prefix, f"{SECRET_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"


def api_key_create(*, actor, organization, name: str, role: str | None = None) -> tuple[ApiKey, str]:
    """A new key of `organization` acting with `role` (default accountant). Returns (key, secret):
    the secret `mlk_<prefix>_<random>` is shown this once and cannot be recovered."""
    name = (name or "").strip()
    validation.ensure_required(name, "name")
    validation.ensure_max_length(name, 100, "name")
    role = role or Membership.Role.ACCOUNTANT
    if role not in Membership.Role.values:
        raise DomainError(CoreErrorCode.INVALID, f"role must be one of {', '.join(Membership.Role.values)}, got {role!r}",
                          "role")
    for _ in range(5):
        prefix, secret = _new_secret()
        try:
            with transaction.atomic():
                key = ApiKey(organization=organization, name=name, prefix=prefix, key_hash=hash_secret(secret),
                             role=role, created_by=actor)
                key._history_user, key._change_reason = actor, "api_key_create"
                key.save()
        except IntegrityError:  # prefix collision (2^-32): draw again
            continue
        return key, secret
    raise RuntimeError("could not draw a unique API key prefix")


def api_key_revoke(*, actor, api_key: ApiKey) -> ApiKey:
    """Revoke `api_key` at once (idempotent: a revoked key keeps its first revocation time)."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key._history_user, api_key._change_reason = actor, "api_key_revoke"
        api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_for_secret(secret: str) -> ApiKey | None:
    """The usable (not revoked, live organisation, active creator) key of `secret`, or None."""
    if not secret or len(secret) > 200:
        return None
    key = (ApiKey.objects.select_related("organization", "created_by")
           .filter(key_hash=hash_secret(secret)).first())
    if key is None or key.revoked_at is not None or key.organization.is_deleted:
        return None
    if key.created_by is None or not key.created_by.is_active:
        return None
    return key


def api_key_touch(key: ApiKey, every_seconds: int = 60) -> None:
    """Record the last use (at most one write per key per minute; no history row)."""
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() >= every_seconds:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
