"""Console sessions: the signing key, and what a signed session cookie holds and proves (shared by the console
and the API's cookie authentication)."""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import MutableMapping
from pathlib import Path

from sqlalchemy.orm import Session

from gateway.models import StaffUser
from gateway.staff import second_factor
from gateway.staff.scope import Scope

SESSION_MAX_AGE_SECONDS = 12 * 3600  # a working day; then the user logs in again
SECRET_FILE = "secret_key"


def secret_key(instance_path: Path, configured: str | None) -> str:
    """SECRET_KEY from the environment, else the one generated once into the instance folder (mode 0600)."""
    if configured:
        return configured
    path = instance_path / SECRET_FILE
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        try:  # O_EXCL: two processes starting together keep the same key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    for _ in range(50):  # the other process may still be writing it
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty: remove it and restart")


def password_mark(user: StaffUser) -> str:
    """A short fingerprint of the account's credentials (password hash and TOTP secret): a password reset, or a
    second factor turned off or reset, ends every open session of the account (whoever set up the new credential
    starts a fresh session with `start`)."""
    credentials = f"{user.password_hash or ''}\0{user.totp_secret or ''}"
    return hashlib.sha256(credentials.encode()).hexdigest()[:16]


def start(cookie: MutableMapping, user: StaffUser, second_factor: bool) -> None:
    """Fill a fresh session for a user who gave their password (and their second factor when `second_factor`)."""
    cookie.clear()
    cookie.update(uid=user.id, pw=password_mark(user), mfa=bool(second_factor), at=int(time.time()))


def session_user(db: Session, cookie: MutableMapping) -> StaffUser | None:
    """The active user this session proves, whether or not a second factor is still owed; None when there is no
    session, or it expired, or the account was disabled or its password or second factor changed since."""
    uid, started = cookie.get("uid"), cookie.get("at")
    if not isinstance(uid, int) or not isinstance(started, int):
        return None
    if time.time() - started > SESSION_MAX_AGE_SECONDS:
        return None
    user = db.get(StaffUser, uid)
    if user is None or user.disabled_at is not None or cookie.get("pw") != password_mark(user):
        return None
    return user


def owes_second_factor(cookie: MutableMapping) -> bool:
    """True when the session's user gave a password but not yet the second factor (or must still enrol one)."""
    return not cookie.get("mfa")


def session_state(db: Session, cookie: MutableMapping, policy: str) -> tuple[StaffUser | None, str]:
    """Where a session stands under CONSOLE_REQUIRE_2FA `policy` (the console and the API's cookie path alike):
    (user, state), state one of "ok", "enrol" (a second factor must be set up before anything else), "otp" (the
    password was right, the code is still owed), "ended" (expired, password changed, account disabled) or "none"
    (never logged in)."""
    user = session_user(db, cookie)
    if user is None:
        return None, "ended" if "uid" in cookie else "none"
    # Checked on every request, not only at login: a session opened before the rule applied to the account (the
    # policy became `all`, or an admin without TOTP) owes its enrolment now.
    if not user.totp_secret and second_factor.required_for(user, policy):
        return user, "enrol"
    if owes_second_factor(cookie):
        # A code owed by an account whose second factor was turned off since: start again from the password.
        return user, "otp" if user.totp_secret else "ended"
    return user, "ok"


def scope_of(db: Session, cookie: MutableMapping, policy: str) -> Scope | None:
    """The scope of the user this session proves, or None (no session, expired, disabled account, password or
    second factor changed since, or a second factor owed or still to be enrolled under CONSOLE_REQUIRE_2FA
    `policy`)."""
    user, state = session_state(db, cookie, policy)
    return Scope.of(user) if state == "ok" else None
