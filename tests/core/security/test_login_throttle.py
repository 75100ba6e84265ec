"""Brute-force throttling of password logins (core.login_throttle): tokenAuth and the admin login
form, counters per username and per client address, in the database."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db.models import F
from django.test import Client

from core.models import LoginAttempt
from tests.helpers.graphql import error_codes, post

PASSWORD = "secret-pass-123"
LOGIN = "mutation($u: String!, $p: String!) { tokenAuth(username: $u, password: $p) { token } }"


def login(username, password, **headers):
    return post(LOGIN, {"u": username, "p": password}, headers=headers)


def login_from(address, username, password, forwarded_for=None):
    """tokenAuth as sent by `address` (REMOTE_ADDR), optionally through a proxy."""
    import json

    extra = {"REMOTE_ADDR": address}
    if forwarded_for:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    response = Client().post("/graphql", json.dumps({"query": LOGIN, "variables": {"u": username, "p": password}}),
                             content_type="application/json", **extra)
    return response.json()


@pytest.fixture
def limits(settings):
    settings.LOGIN_MAX_ATTEMPTS = 3
    settings.LOGIN_LOCKOUT_SECONDS = 900
    return settings


def _age_counters(seconds):
    """As if `seconds` had passed since the counters were last written."""
    LoginAttempt.objects.update(window_started=F("window_started") - timedelta(seconds=seconds))


def test_default_limits():
    from django.conf import settings

    assert (settings.LOGIN_MAX_ATTEMPTS, settings.LOGIN_LOCKOUT_SECONDS) == (5, 900)


def test_locks_the_username_after_max_failures_even_with_the_right_password(limits, user_a):
    # given
    for _ in range(3):
        assert error_codes(login(user_a.username, "wrong")) == ["INVALID_CREDENTIALS"]
    # when
    result = login(user_a.username, PASSWORD)
    # then
    assert error_codes(result) == ["TOO_MANY_ATTEMPTS"]
    assert result["data"]["tokenAuth"] is None


def test_the_username_counter_ignores_case_and_spaces(limits, user_a):
    # given failures spelled three ways
    for spelling in ("ADMIN-A@molink.test", " admin-a@molink.test", "Admin-A@Molink.test"):
        login_from(f"10.0.0.{len(spelling)}", spelling, "wrong")
    # when / then
    assert error_codes(login_from("10.9.9.9", user_a.username, PASSWORD)) == ["TOO_MANY_ATTEMPTS"]


def test_failures_below_the_limit_do_not_block_and_a_success_resets_the_username_counter(limits, user_a):
    # given
    for _ in range(2):
        login(user_a.username, "wrong")
    # when
    ok = login(user_a.username, PASSWORD)
    # then
    assert ok["data"]["tokenAuth"]["token"]
    assert not LoginAttempt.objects.filter(key=f"user:{user_a.username}").exists()
    assert LoginAttempt.objects.get(key="ip:127.0.0.1").failures == 2  # the address's counter stays


def test_the_lock_ends_when_its_window_has_passed(limits, user_a):
    # given a lock
    for _ in range(3):
        login(user_a.username, "wrong")
    # when the window has passed
    _age_counters(901)
    result = login(user_a.username, PASSWORD)
    # then
    assert result["data"]["tokenAuth"]["token"]


def test_the_lock_lasts_a_full_window_from_the_failure_that_reached_the_limit(limits, user_a):
    # given two failures 14 minutes ago, then the third now
    login(user_a.username, "wrong")
    login(user_a.username, "wrong")
    _age_counters(14 * 60)
    login(user_a.username, "wrong")
    # when 2 minutes later (16 minutes after the first failure)
    _age_counters(2 * 60)
    result = login(user_a.username, PASSWORD)
    # then still locked
    assert error_codes(result) == ["TOO_MANY_ATTEMPTS"]


def test_failures_older_than_the_window_do_not_count(limits, user_a):
    # given two old failures
    login(user_a.username, "wrong")
    login(user_a.username, "wrong")
    _age_counters(901)
    # when one more failure now
    login(user_a.username, "wrong")
    # then it is the first of a new window, and the right password still works
    assert LoginAttempt.objects.get(key=f"user:{user_a.username}").failures == 1
    assert login(user_a.username, PASSWORD)["data"]["tokenAuth"]["token"]


def test_expired_counters_are_purged(limits, user_a):
    # given counters of an old window
    login("someone@molink.test", "wrong")
    _age_counters(901)
    # when a new failure is recorded
    login_from("10.1.1.1", "other@molink.test", "wrong")
    # then only the new window's counters remain
    assert set(LoginAttempt.objects.values_list("key", flat=True)) == {"user:other@molink.test", "ip:10.1.1.1"}


def test_one_client_address_trying_many_usernames_is_locked(limits, user_a):
    # given: failures on other usernames from the same address
    for index in range(3):
        login(f"nobody{index}@molink.test", "wrong")
    # when
    result = login(user_a.username, PASSWORD)
    # then
    assert error_codes(result) == ["TOO_MANY_ATTEMPTS"]


def test_other_addresses_and_usernames_are_not_locked(limits, user_a, user_b):
    # given an attacker locked out
    for index in range(3):
        login_from("203.0.113.5", f"nobody{index}@molink.test", "wrong")
    # when another client logs in
    result = login_from("198.51.100.7", user_b.username, PASSWORD)
    # then
    assert result["data"]["tokenAuth"]["token"]


def test_behind_trusted_proxies_each_client_has_its_own_counter(limits, user_a, settings):
    # given one reverse proxy (10.0.0.2) in front of the app, and an attacker behind it who also
    # forges X-Forwarded-For entries of its own
    settings.TRUSTED_PROXY_COUNT = 1
    for index in range(3):
        login_from("10.0.0.2", f"nobody{index}@molink.test", "wrong", forwarded_for=f"1.2.3.{index}, 203.0.113.5")
    # when another client comes through the same proxy
    other = login_from("10.0.0.2", user_a.username, PASSWORD, forwarded_for="198.51.100.7")
    attacker = login_from("10.0.0.2", user_a.username, PASSWORD, forwarded_for="9.9.9.9, 203.0.113.5")
    # then the attacker alone is locked (by the address the proxy saw, not the forged ones)
    assert other["data"]["tokenAuth"]["token"]
    assert error_codes(attacker) == ["TOO_MANY_ATTEMPTS"]
    assert LoginAttempt.objects.filter(key="ip:203.0.113.5", failures=3).exists()


def test_without_trusted_proxies_x_forwarded_for_is_ignored(limits, user_a):
    # given failures claiming three different client addresses
    for index in range(3):
        login_from("203.0.113.5", f"nobody{index}@molink.test", "wrong", forwarded_for=f"1.2.3.{index}")
    # when / then: they all counted against the real address
    assert error_codes(login_from("203.0.113.5", user_a.username, PASSWORD)) == ["TOO_MANY_ATTEMPTS"]


def test_ipv6_clients_are_counted_per_64_network(limits, user_a):
    # given failures from three addresses of one /64
    for index in range(3):
        login_from(f"2001:db8:1:2::{index + 1}", f"nobody{index}@molink.test", "wrong")
    # when / then
    assert error_codes(login_from("2001:db8:1:2::abcd", user_a.username, PASSWORD)) == ["TOO_MANY_ATTEMPTS"]
    assert login_from("2001:db8:1:3::1", user_a.username, PASSWORD)["data"]["tokenAuth"]["token"]


def test_counters_are_in_the_database(limits, user_a):
    # when
    login_from("203.0.113.5", user_a.username, "wrong")
    # then (shared by every process)
    assert {(a.key, a.failures) for a in LoginAttempt.objects.all()} == {
        (f"user:{user_a.username}", 1), ("ip:203.0.113.5", 1)}


def test_failures_are_logged_at_warning_without_password_or_username(limits, user_a, caplog):
    # when
    with caplog.at_level(logging.WARNING, logger="molink.auth"):
        for _ in range(3):
            login_from("203.0.113.5", user_a.username, "very-secret-guess")
    # then
    records = [r for r in caplog.records if r.name == "molink.auth"]
    assert records and all(r.levelno == logging.WARNING for r in records)
    assert "failed login from 203.0.113.5 (1/3 for this username, 1/3 from this address)" in caplog.text
    assert "logins locked for 900s after 3 failures (username and address) from 203.0.113.5" in caplog.text
    assert "very-secret-guess" not in caplog.text
    assert user_a.username not in caplog.text


# --- The admin login form shares the counters ---------------------------------------------------


@pytest.fixture
def staff(user_a):
    user_a.is_staff = user_a.is_superuser = True
    user_a.save()
    return user_a


def admin_login(client, username, password):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password},
                       REMOTE_ADDR="203.0.113.9")


def test_admin_login_is_throttled(limits, staff):
    # given
    client = Client()
    for _ in range(3):
        assert admin_login(client, staff.username, "wrong").status_code == 200  # form redisplayed
    # when
    locked = admin_login(client, staff.username, PASSWORD)
    # then
    assert locked.status_code == 200
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_admin_and_graphql_failures_add_up(limits, staff):
    # given failures through both doors
    admin_login(Client(), staff.username, "wrong")
    admin_login(Client(), staff.username, "wrong")
    login(staff.username, "wrong")
    # when / then
    assert error_codes(login(staff.username, PASSWORD)) == ["TOO_MANY_ATTEMPTS"]


def test_admin_login_success_resets_and_an_empty_password_does_not(limits, staff):
    # given two failures, then a form without password (it authenticates no one)
    client = Client()
    admin_login(client, staff.username, "wrong")
    admin_login(client, staff.username, "wrong")
    admin_login(client, staff.username, "")
    assert LoginAttempt.objects.get(key=f"user:{staff.username}").failures == 2
    # when
    response = admin_login(client, staff.username, PASSWORD)
    # then
    assert response.status_code == 302
    assert not LoginAttempt.objects.filter(key=f"user:{staff.username}").exists()
