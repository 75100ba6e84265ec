"""Test wiring. Unit tests run on SQLite with eager tasks; tests marked `integration` need the
real services (PostgreSQL via DATABASE_URL, RabbitMQ via CELERY_BROKER_URL). When those are
unreachable, integration tests are skipped with a loud summary line — except under CI=true,
where the run fails."""
from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest

pytest_plugins = ["tests.helpers.fixtures"]


@pytest.fixture
def admin_client(client, db):
    """The Django test client logged in as a superuser (`admin_client.superuser`) — ours, not
    pytest-django's, whose user has no e-mail address."""
    from core.models import User

    superuser = User.objects.create_superuser(username="root@molink.test", email="root@molink.test", password="x-secret-9")
    client.force_login(superuser)
    client.superuser = superuser
    return client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 costs ~0.2 s per user created; tests need no hashing strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


_UNREACHABLE: list[str] = []


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def _service_problems() -> list[str]:
    problems = []
    db_url = os.environ.get("DATABASE_URL", "")
    if not db_url.startswith(("postgres://", "postgresql://")):
        problems.append(f"DATABASE_URL is not PostgreSQL ({db_url or 'unset'})")
    elif not _reachable(db_url, 5432):
        problems.append(f"PostgreSQL unreachable at {urlparse(db_url).hostname}:{urlparse(db_url).port or 5432}")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("amqp"):
        problems.append(f"CELERY_BROKER_URL is not RabbitMQ ({broker or 'unset'})")
    elif not _reachable(broker, 5672):
        problems.append(f"RabbitMQ unreachable at {urlparse(broker).hostname}:{urlparse(broker).port or 5672}")
    return problems


@pytest.hookimpl(trylast=True)  # after `-m` deselection: only integration tests that will run count
def pytest_collection_modifyitems(config, items):
    integration = [item for item in items if item.get_closest_marker("integration")]
    if not integration:
        return
    problems = _service_problems()
    if not problems:
        return
    if os.environ.get("CI", "").lower() == "true":
        raise pytest.UsageError("CI=true and the integration services are not usable: " + "; ".join(problems))
    _UNREACHABLE.extend(problems)
    skip = pytest.mark.skip(reason="integration services unavailable: " + "; ".join(problems))
    for item in integration:
        item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _UNREACHABLE:
        terminalreporter.write_sep("!", "INTEGRATION TESTS SKIPPED", red=True, bold=True)
        for problem in _UNREACHABLE:
            terminalreporter.write_line(f"!!! {problem}", red=True, bold=True)
        terminalreporter.write_line("!!! start the services (see README) or run under CI=true to fail instead", red=True)
