"""Brute-force protection of password logins (GraphQL `tokenAuth` and the admin login form).

After LOGIN_MAX_ATTEMPTS failures for one username, or from one client address, within
LOGIN_LOCKOUT_SECONDS, logins are refused (even with the right password) for LOGIN_LOCKOUT_SECONDS
counted from the failure that reached the limit. A success clears the username's counter (not the
address's: one address guessing many usernames stays locked). Counters live in the database
(`LoginAttempt`), so every web process shares them.

The client address comes from core.client_ip (TRUSTED_PROXY_COUNT behind reverse proxies: without
it every client behind a proxy shares one address, and one client's failures lock everybody).

Known limit: the check and the count are two steps, so N parallel guesses that all start before
the first one is recorded each get an answer; the overshoot is bounded by the number of requests
the server runs at once (password hashing makes each one slow).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.client_ip import throttle_key
from core.error_codes import CoreErrorCode
from core.errors import DomainError
from core.models import LoginAttempt

logger = logging.getLogger("molink.auth")

KEY_MAX_LENGTH = 300  # LoginAttempt.key


def _username_key(username: str | None) -> str | None:
    username = (username or "").strip().lower()
    return f"user:{username}"[:KEY_MAX_LENGTH] if username else None


def _keys(request, username: str | None) -> list[str]:
    keys = [_username_key(username)]
    address = throttle_key(request) if request is not None else None
    keys.append(f"ip:{address}" if address else None)
    return [key for key in keys if key]


def _window() -> timedelta:
    return timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)


class TooManyAttempts(DomainError):
    http_status = 429

    def __init__(self):
        super().__init__(CoreErrorCode.TOO_MANY_ATTEMPTS, "too many failed logins: try again later", "username")


def is_locked(request, username: str | None) -> bool:
    since = timezone.now() - _window()
    return LoginAttempt.objects.filter(
        key__in=_keys(request, username), window_started__gte=since, failures__gte=settings.LOGIN_MAX_ATTEMPTS
    ).exists()


def ensure_allowed(request, username: str | None) -> None:
    """Raise TooManyAttempts (TOO_MANY_ATTEMPTS) while the username or the address is locked."""
    if is_locked(request, username):
        raise TooManyAttempts()


@transaction.atomic
def record_failure(request, username: str | None) -> None:
    """Count one failed login for the username and the client address. Logged at WARNING with the
    client address only: never the password, nor the username (personal data, and often a
    password typed in the wrong field)."""
    now = timezone.now()
    window, limit = _window(), settings.LOGIN_MAX_ATTEMPTS
    counts = {}
    for key in _keys(request, username):
        attempt, _ = LoginAttempt.objects.select_for_update().get_or_create(
            key=key, defaults={"failures": 0, "window_started": now})
        if attempt.window_started < now - window:
            attempt.failures, attempt.window_started = 0, now
        attempt.failures += 1
        if attempt.failures == limit:
            # The lock lasts a full window from the failure that reached the limit.
            attempt.window_started = now
        attempt.save(update_fields=["failures", "window_started"])
        counts[key.partition(":")[0]] = attempt.failures
    address = throttle_key(request) if request is not None else None
    logger.warning("failed login from %s (%s/%s for this username, %s/%s from this address)", address or "?",
                   counts.get("user", "-"), limit, counts.get("ip", "-"), limit)
    if any(count == limit for count in counts.values()):
        logger.warning("logins locked for %ss after %s failures (%s) from %s", settings.LOGIN_LOCKOUT_SECONDS, limit,
                       " and ".join("username" if kind == "user" else "address"
                                    for kind, count in counts.items() if count == limit), address or "?")
    # Expired counters are useless: drop them here rather than in a periodic task.
    LoginAttempt.objects.filter(window_started__lt=now - window).delete()


def record_success(request, username: str | None) -> None:
    key = _username_key(username)
    if key:
        LoginAttempt.objects.filter(key=key).delete()
