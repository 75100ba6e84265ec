"""Security headers on every answer, and the production settings: HTTPS redirect, HSTS, secure
cookies, `manage.py check --deploy --fail-level WARNING` clean."""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("path", ["/health", "/graphql", "/admin/login/"])
def test_security_headers_are_sent(db, path):
    response = Client().get(path, HTTP_ACCEPT="application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def _production_env(tmp_path, **overrides) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in {"SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD", "USE_X_FORWARDED_PROTO",
                          "SECURE_HSTS_INCLUDE_SUBDOMAINS", "DJANGO_SETTINGS_MODULE"}}
    env.update(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="example.com",
               DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}", CELERY_BROKER_URL="",
               VAR_DIR=str(tmp_path / "var"), DJANGO_SETTINGS_MODULE="config.settings", **overrides)
    return env


def _production_settings(tmp_path, **overrides) -> dict:
    code = ("import json, django; django.setup(); from django.conf import settings as s; print(json.dumps({k: "
            "getattr(s, k, None) for k in ('SECURE_SSL_REDIRECT', 'SECURE_PROXY_SSL_HEADER', 'SECURE_HSTS_SECONDS', "
            "'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
            "'SESSION_COOKIE_HTTPONLY', 'X_FRAME_OPTIONS', 'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY', "
            "'SECURE_CROSS_ORIGIN_OPENER_POLICY', 'SECURE_REDIRECT_EXEMPT')} | {'JWT_COOKIE_SECURE': "
            "s.GRAPHQL_JWT['JWT_COOKIE_SECURE']}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=_production_env(tmp_path, **overrides),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_production_defaults(tmp_path):
    values = _production_settings(tmp_path)
    assert values == {
        "SECURE_SSL_REDIRECT": True, "SECURE_PROXY_SSL_HEADER": None, "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": False, "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True, "SESSION_COOKIE_HTTPONLY": True, "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True, "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin", "SECURE_REDIRECT_EXEMPT": ["^health$", "^metrics$"],
        "JWT_COOKIE_SECURE": True}


def test_production_behind_a_tls_proxy(tmp_path):
    values = _production_settings(tmp_path, USE_X_FORWARDED_PROTO="1", SECURE_HSTS_PRELOAD="1",
                                  SECURE_HSTS_SECONDS="600")
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert (values["SECURE_HSTS_SECONDS"], values["SECURE_HSTS_PRELOAD"]) == (600, True)


def test_ssl_redirect_and_hsts_when_enabled(db, settings):
    # given production-like settings behind a TLS proxy
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    client = Client()
    # when
    plain = client.get("/graphql", HTTP_ACCEPT="application/json")
    health = client.get("/health")
    secure = client.get("/graphql", HTTP_ACCEPT="application/json", HTTP_X_FORWARDED_PROTO="https")
    # then
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    assert health.status_code == 200  # container checks speak plain HTTP
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_deploy_checklist_is_clean_with_production_settings(tmp_path):
    # when
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=REPO,
                          env=_production_env(tmp_path), capture_output=True, text=True, timeout=120, check=False)
    # then
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (1 silenced)." in done.stdout


def test_only_the_hsts_preload_check_is_silenced():
    from django.conf import settings

    assert settings.SILENCED_SYSTEM_CHECKS == ["security.W021"]


def test_the_deploy_checklist_catches_a_disabled_ssl_redirect(tmp_path):
    # given the one setting an operator may turn off
    done = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=REPO,
                          env=_production_env(tmp_path, SECURE_SSL_REDIRECT="0"), capture_output=True, text=True, check=False,
                          timeout=120)
    # then the checklist says so (nothing else hides it)
    assert done.returncode != 0
    assert "security.W008" in done.stdout + done.stderr
