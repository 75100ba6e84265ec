"""Brute-force protection of tokenAuth: after LOGIN_MAX_ATTEMPTS failures for one username or
one client address within LOGIN_LOCKOUT_SECONDS, logins are refused (even with the right
password) until the window ends. A success clears the username's counter. Counters live in the
database, so every web process shares them."""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.error_codes import CoreErrorCode
from core.errors import DomainError
from core.models import LoginAttempt

logger = logging.getLogger("molink.auth")


def _keys(request, username: str | None) -> list[str]:
    keys = []
    if username:
        keys.append(f"user:{username.strip().lower()[:250]}")
    address = request.META.get("REMOTE_ADDR")
    if address:
        keys.append(f"ip:{address}")
    return keys


def _window() -> timedelta:
    return timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)


def ensure_allowed(request, username: str | None) -> None:
    since = timezone.now() - _window()
    blocked = LoginAttempt.objects.filter(
        key__in=_keys(request, username), window_started__gte=since, failures__gte=settings.LOGIN_MAX_ATTEMPTS
    ).exists()
    if blocked:
        raise DomainError(CoreErrorCode.TOO_MANY_ATTEMPTS,
                          "too many failed logins: try again later", "username")


@transaction.atomic
def record_failure(request, username: str | None) -> None:
    now = timezone.now()
    for key in _keys(request, username):
        attempt, created = LoginAttempt.objects.select_for_update().get_or_create(
            key=key, defaults={"failures": 1, "window_started": now})
        if created:
            continue
        if attempt.window_started < now - _window():
            attempt.failures, attempt.window_started = 1, now
            attempt.save(update_fields=["failures", "window_started"])
        else:
            LoginAttempt.objects.filter(pk=attempt.pk).update(failures=F("failures") + 1)
    logger.warning("failed login for a username from %s", request.META.get("REMOTE_ADDR", "?"))


def record_success(request, username: str | None) -> None:
    if username:
        LoginAttempt.objects.filter(key=f"user:{username.strip().lower()[:250]}").delete()
