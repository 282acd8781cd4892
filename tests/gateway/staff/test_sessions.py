"""Console sessions: the signing key (SECRET_KEY, else generated once into the instance folder, readable by the
gateway's user only) and what a signed session proves: nothing once expired, once the password changed, once the
account is disabled, or while a second factor is owed."""

from __future__ import annotations

import stat
import time
from dataclasses import replace

import pytest

from gateway.core.config import ConfigError, load_settings
from gateway.models import utcnow
from gateway.staff import second_factor
from gateway.staff.accounts import find_user, hash_password
from gateway.staff.second_factor import new_secret
from gateway.staff.sessions import (
    SECRET_FILE,
    SESSION_MAX_AGE_SECONDS,
    scope_of,
    secret_key,
    session_state,
    start,
)
from gateway.web.app import create_app
from tests.staff_users import make_user

CONFIGURED = "k" * 40


def test_a_key_is_generated_once_readable_by_the_owner_only_and_reused(tmp_path):
    instance = tmp_path / "instance"
    key = secret_key(instance, None)
    path = instance / SECRET_FILE
    assert len(key) >= 32 and path.read_text().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(instance, None) == key, "a restart keeps the sessions valid"
    assert secret_key(tmp_path / "other", None) != key, "each installation its own key"


def test_the_configured_key_wins_and_nothing_is_written(tmp_path):
    assert secret_key(tmp_path, CONFIGURED) == CONFIGURED
    assert not (tmp_path / SECRET_FILE).exists()
    generated = secret_key(tmp_path, None)
    assert secret_key(tmp_path, CONFIGURED) == CONFIGURED != generated


def test_an_empty_key_file_is_an_error_that_says_what_to_do(tmp_path):
    (tmp_path / SECRET_FILE).write_text("")
    with pytest.raises(RuntimeError, match="is empty: remove it and restart"):
        secret_key(tmp_path, None)


def test_the_app_signs_with_the_generated_key_then_with_secret_key_when_set(runtime, monkeypatch):
    generated = create_app(runtime=runtime).secret_key
    assert generated == (runtime.settings.instance_path / SECRET_FILE).read_text().strip()
    assert create_app(runtime=runtime).secret_key == generated
    monkeypatch.setattr(runtime, "settings", replace(runtime.settings, secret_key=CONFIGURED))
    assert create_app(runtime=runtime).secret_key == CONFIGURED


def test_secret_key_from_the_environment(base_env):
    assert load_settings(env={**base_env, "SECRET_KEY": CONFIGURED}).secret_key == CONFIGURED
    with pytest.raises(ConfigError, match="SECRET_KEY must have at least 32 characters") as refused:
        load_settings(env={**base_env, "SECRET_KEY": "short-secret"})
    assert "short-secret" not in str(refused.value)


@pytest.fixture
def user(runtime, directory):
    """An officer of KORO."""
    make_user(runtime, "seydou@example.org", "officer", district="KORO")
    return "seydou@example.org"


def started(runtime, email: str, second_factor: bool = True) -> dict:
    """A session cookie's content after a login."""
    cookie = {"stale": "value from before"}
    with runtime.db.transaction() as session:
        start(cookie, find_user(session, email), second_factor)
    assert "stale" not in cookie, "a login starts a fresh session"
    return cookie


def proves(runtime, cookie: dict, policy: str = "admin") -> str | None:
    """The email of the user the session proves, or None."""
    with runtime.db.transaction() as session:
        scope = scope_of(session, cookie, policy)
    return scope.email if scope else None


def test_a_fresh_session_proves_its_user_and_scope(runtime, user):
    cookie = started(runtime, user)
    with runtime.db.transaction() as session:
        scope = scope_of(session, cookie, "admin")
    assert (scope.email, scope.role, scope.district_code) == (user, "officer", "KORO")


@pytest.mark.parametrize("cookie", [{}, {"uid": "1", "at": int(time.time())}, {"uid": 1}, {"at": int(time.time())}])
def test_no_session_or_a_malformed_one_proves_nothing(runtime, user, cookie):
    assert proves(runtime, cookie) is None


def test_a_session_for_an_account_that_does_not_exist_proves_nothing(runtime, user):
    cookie = started(runtime, user)
    assert proves(runtime, {**cookie, "uid": 999}) is None


def test_a_session_expires_after_twelve_hours(runtime, user):
    cookie = started(runtime, user)
    assert SESSION_MAX_AGE_SECONDS == 12 * 3600
    assert proves(runtime, {**cookie, "at": int(time.time()) - SESSION_MAX_AGE_SECONDS + 60}) == user
    assert proves(runtime, {**cookie, "at": int(time.time()) - SESSION_MAX_AGE_SECONDS - 1}) is None


def test_a_password_change_ends_open_sessions(runtime, user):
    cookie = started(runtime, user)
    with runtime.db.transaction() as session:
        find_user(session, user).password_hash = hash_password("another long password")
    assert proves(runtime, cookie) is None
    assert proves(runtime, started(runtime, user)) == user, "a new login works"


def test_disabling_an_account_ends_open_sessions(runtime, user):
    cookie = started(runtime, user)
    with runtime.db.transaction() as session:
        find_user(session, user).disabled_at = utcnow()
    assert proves(runtime, cookie) is None


def state(runtime, cookie: dict, policy: str = "admin") -> str:
    """The state of the session under this CONSOLE_REQUIRE_2FA policy."""
    with runtime.db.transaction() as session:
        return session_state(session, cookie, policy)[1]


def _set_totp(runtime, email: str, secret: str | None) -> None:
    with runtime.db.transaction() as session:
        find_user(session, email).totp_secret = secret


def test_a_session_that_still_owes_its_second_factor(runtime, user):
    _set_totp(runtime, user, new_secret())
    cookie = started(runtime, user, second_factor=False)
    assert state(runtime, cookie) == "otp" and proves(runtime, cookie) is None
    assert proves(runtime, started(runtime, user, second_factor=True)) == user


def test_a_second_factor_turned_off_or_reset_ends_open_sessions(runtime, user):
    with runtime.db.transaction() as session:
        find_user(session, user).totp_secret = second_factor.new_secret()
    cookie = started(runtime, user)
    assert proves(runtime, cookie) == user
    with runtime.db.transaction() as session:
        second_factor.disable(find_user(session, user))
    assert proves(runtime, cookie) is None
    assert proves(runtime, started(runtime, user)) == user, "a new login works"


def test_no_session_and_an_ended_one(runtime, user):
    assert state(runtime, {}) == "none"
    assert state(runtime, {**started(runtime, user), "at": 1}) == "ended"


def test_a_session_opened_before_the_rule_owes_its_enrolment(runtime, user):
    """An officer without TOTP logged in while CONSOLE_REQUIRE_2FA was `admin`; the rule is now `all`."""
    cookie = started(runtime, user, second_factor=True)
    assert state(runtime, cookie, "admin") == "ok" and proves(runtime, cookie, "admin") == user
    assert state(runtime, cookie, "all") == "enrol" and proves(runtime, cookie, "all") is None
    _set_totp(runtime, user, new_secret())
    assert proves(runtime, started(runtime, user), "all") == user, "enrolled, a new login works"


def test_an_admin_without_totp_owes_enrolment_whatever_the_session_says(runtime, directory):
    make_user(runtime, "awa@example.org", "admin")
    cookie = started(runtime, "awa@example.org", second_factor=True)
    for policy in ("admin", "all"):
        assert state(runtime, cookie, policy) == "enrol" and proves(runtime, cookie, policy) is None
