"""/metrics outside DEBUG: loopback clients (not through a proxy), or the METRICS_TOKEN bearer."""
from __future__ import annotations

import pytest
from django.test import Client


@pytest.fixture
def production(db, settings):
    settings.DEBUG = False
    settings.METRICS_TOKEN = "s3cret-token"
    settings.TRUSTED_PROXY_COUNT = 0
    return settings


def get(remote="10.0.0.9", **headers):
    return Client(REMOTE_ADDR=remote).get("/metrics", **headers).status_code


def test_remote_clients_need_the_token(production):
    assert get() == 403
    assert get(HTTP_AUTHORIZATION="Bearer s3cret-token") == 200
    assert get(HTTP_AUTHORIZATION="Bearer wrong") == 403
    assert get(HTTP_AUTHORIZATION="s3cret-token") == 403


def test_a_non_ascii_authorization_header_is_a_403_not_a_500(production):
    assert get(HTTP_AUTHORIZATION="Bearer s3crét-token") == 403


def test_without_a_configured_token_remote_clients_are_refused(production):
    production.METRICS_TOKEN = ""
    assert get() == 403
    assert get(HTTP_AUTHORIZATION="Bearer ") == 403


@pytest.mark.parametrize("remote", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_loopback_clients_are_served(production, remote):
    assert get(remote) == 200


@pytest.mark.parametrize("header", ["HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP"])
def test_a_request_relayed_by_a_local_proxy_is_not_local(production, header):
    # given a reverse proxy on the same host relaying an outside client
    assert get("127.0.0.1", **{header: "203.0.113.5"}) == 403


def test_behind_trusted_proxies_the_real_client_decides(production):
    production.TRUSTED_PROXY_COUNT = 1
    assert get("10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5") == 403
    assert get("10.0.0.2", HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.5") == 403  # forged entry ignored
    assert get("10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5", HTTP_AUTHORIZATION="Bearer s3cret-token") == 200


def test_debug_serves_everyone(production):
    production.DEBUG = True
    assert get() == 200
