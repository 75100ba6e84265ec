"""Settings from the environment: production (DEBUG off) refuses to start without SECRET_KEY, with
a clear message rather than a traceback."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

COMMANDS = {
    "django.setup": [sys.executable, "-c", "import django; django.setup()"],
    "manage.py check": [sys.executable, "manage.py", "check"],
}


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
                          check=False)


def _environment(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in {"SECRET_KEY", "DEBUG"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", **overrides)
    return env


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
@pytest.mark.parametrize("secret_key", [None, "", "   "], ids=["unset", "empty", "blank"])
def test_production_without_secret_key_refuses_to_start(command, secret_key):
    # given DEBUG off and no usable SECRET_KEY
    env = _environment(DEBUG="0")
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key

    # when
    done = _run(command, env)

    # then
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "SECRET_KEY is not set" in output
    assert "Traceback" not in output


def test_production_with_secret_key_starts():
    # given
    env = _environment(DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="invoicing.example")

    # when
    done = _run(COMMANDS["manage.py check"], env)

    # then
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout


def test_debug_without_secret_key_uses_the_development_key():
    # given / when
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    done = _run([sys.executable, "-c", code], _environment(DEBUG="1"))

    # then
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "insecure-development-key-only-used-when-DEBUG-is-on"
