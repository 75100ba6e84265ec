import pytest

from core.models import LoginAttempt
from tests.helpers.graphql import error_codes, post

LOGIN = 'mutation { tokenAuth(username: "%s", password: "%s") { token } }'


def login(username, password):
    return post(LOGIN % (username, password))


@pytest.fixture
def limits(settings):
    settings.LOGIN_MAX_ATTEMPTS = 3
    settings.LOGIN_LOCKOUT_SECONDS = 900
    return settings


def test_locks_the_username_after_max_failures_even_with_the_right_password(limits, user_a):
    # given
    for _ in range(3):
        assert error_codes(login(user_a.username, "wrong")) == ["INVALID_CREDENTIALS"]
    # when
    result = login(user_a.username, "secret-pass-123")
    # then
    assert error_codes(result) == ["TOO_MANY_ATTEMPTS"]
    assert result["data"]["tokenAuth"] is None


def test_failures_below_the_limit_do_not_block_and_a_success_resets_the_counter(limits, user_a):
    # given
    for _ in range(2):
        login(user_a.username, "wrong")
    # when
    ok = login(user_a.username, "secret-pass-123")
    # then
    assert ok["data"]["tokenAuth"]["token"]
    assert not LoginAttempt.objects.filter(key=f"user:{user_a.username}").exists()


def test_the_lock_ends_with_its_window(limits, user_a):
    # given
    for _ in range(3):
        login(user_a.username, "wrong")
    # when: the window has passed
    limits.LOGIN_LOCKOUT_SECONDS = 0
    result = login(user_a.username, "secret-pass-123")
    # then
    assert result["data"]["tokenAuth"]["token"]


def test_one_client_address_trying_many_usernames_is_locked(limits, user_a):
    # given: failures on other usernames from the same address
    for index in range(3):
        login(f"nobody{index}@molink.test", "wrong")
    # when
    result = login(user_a.username, "secret-pass-123")
    # then
    assert error_codes(result) == ["TOO_MANY_ATTEMPTS"]


def test_the_password_is_never_logged(limits, user_a, caplog):
    # when
    login(user_a.username, "very-secret-guess")
    # then
    assert "very-secret-guess" not in caplog.text
