"""Logging in and out of the console: email and password, then the TOTP code (or a recovery code) when the account
has a second factor; throttled per account and per address.

The two steps: the login form posts `email` and `password` (and may post `otp` with them, all at once). When the
account has a second factor and no valid `otp` came, the session starts with the second factor owed and the same
URL shows a form with the `otp` field alone; posting it completes the login. An account that must have a second
factor but has none is sent to enrolment and can reach nothing else until it is done."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import redirect, render_template, request, session, url_for

from gateway.console import console, runtime, session_state
from gateway.core import audit
from gateway.models import StaffUser, utcnow
from gateway.staff import login_throttle, second_factor, sessions
from gateway.staff.accounts import AccountError, authenticate, normalise_email

# Between the password and the code: after this the password must be typed again.
OTP_STEP_SECONDS = 600


def _safe_next(target: str | None) -> str:
    """Only a path of this console: never an open redirect to another site."""
    if target and target.startswith("/console/") and not urlsplit(target).netloc and "\\" not in target:
        return target
    return url_for("console.inbox")


def _address() -> str:
    """The client's address (ProxyFix has already taken it from X-Forwarded-For behind the proxy)."""
    return (request.remote_addr or "?")[:60]


def _detail() -> str:
    """The audit detail of a login attempt: the address, exactly (the throttle counts failures by it)."""
    return login_throttle.address_detail(_address())


def _actor(typed: str) -> str:
    """Who the audit names for an attempt: the typed email, or "?" for anything else (a password typed into the
    email field must never be kept in clear in the log)."""
    try:
        return normalise_email(typed)
    except AccountError:
        return "?"


def _form(error: str | None = None, status: int = 200, **params):
    """The email-and-password form."""
    nxt = request.values.get("next", "")
    return render_template("console/login.html", step="password", error=error, next=nxt, **params), status


def _otp_form(error: str | None = None, status: int = 200):
    """The form asking for the second factor's code alone (the password was right)."""
    return render_template("console/login.html", step="otp", error=error), status


def _throttled(db, actor: str, minutes: int):
    """429, audited, no password checked: the same answer whether or not the account exists."""
    audit.record(db, actor, login_throttle.THROTTLED, "console", _detail())
    page = render_template("console/login.html", step="throttled", minutes=minutes, next="")
    return page, 429, {"Retry-After": str(minutes * 60)}


def _failed(db, actor: str, target: str = "console") -> None:
    """A failure, counted by the throttle (its detail is exactly the address)."""
    audit.record(db, actor, login_throttle.FAILED, target, _detail())


def _complete(db, user: StaffUser, how: str, nxt: str | None):
    """Nothing more is owed: the session is fresh (no fixation), the login audited, the user sent on."""
    user.last_login_at = utcnow()
    audit.record(db, user.email, "login", "console", f"{_detail()}; {how}")
    sessions.start(session, user, second_factor=True)
    return redirect(_safe_next(nxt))


def _second_factor(db, user: StaffUser, code: str, nxt: str | None):
    """Check the code of an account with TOTP; the session owes it until it is right."""
    kind = second_factor.verify(db, user, code)
    if kind is None:
        _failed(db, user.email, "console second factor")
        return _otp_form("login.otp_failed", 401)
    if kind == "recovery":
        left = second_factor.remaining_recovery_codes(user)
        audit.record(db, user.email, "2fa_recovery_used", "console", f"{left} recovery code(s) left")
    return _complete(db, user, "recovery code" if kind == "recovery" else "totp", nxt)


@console.route("/login", methods=["GET"])
def login():
    """The login form, or the code form when the password was given and the second factor is owed."""
    with runtime().db.sessions() as db:
        _, state = session_state(db)
    if state == "otp":
        return _otp_form()
    if state == "enrol":
        return redirect(url_for("console.enrol_second_factor"))
    return _form(ended=request.args.get("ended") == "1")


@console.route("/login", methods=["POST"])
def login_post():
    """Check the password (and the code); a session starts on success."""
    if "email" not in request.form and "otp" in request.form:
        return _code_step()
    email = request.form.get("email", "").strip().lower()[:200]
    password = request.form.get("password", "")[:1000]
    code = request.form.get("otp", "")[:40]
    nxt = request.form.get("next")
    actor = _actor(email)
    with runtime().db.transaction() as db:
        minutes = login_throttle.retry_after(db, actor, _address())
        if minutes is not None:
            return _throttled(db, actor, minutes)
        user = authenticate(db, email, password)
        if user is None:
            _failed(db, actor)
            return _form("login.failed", 401)
        if user.totp_secret:
            sessions.start(session, user, second_factor=False)
            session["next"] = _safe_next(nxt)
            return _second_factor(db, user, code, nxt) if code else _otp_form()
        if second_factor.required_for(user, runtime().settings.console_require_2fa):
            audit.record(db, user.email, "login", "console", f"{_detail()}; 2fa to set up")
            sessions.start(session, user, second_factor=False)
            return redirect(url_for("console.enrol_second_factor"))
        return _complete(db, user, "password", nxt)


def _code_step():
    """The second step: the code of the account whose password this session proved."""
    with runtime().db.transaction() as db:
        user, state = session_state(db)
        if state != "otp" or time.time() - session.get("at", 0) > OTP_STEP_SECONDS:
            session.clear()
            return redirect(url_for("console.login", ended=1))
        minutes = login_throttle.retry_after(db, user.email, _address())
        if minutes is not None:
            return _throttled(db, user.email, minutes)
        return _second_factor(db, user, request.form.get("otp", "")[:40], session.get("next"))


def confirm_password(db, user: StaffUser, password: str) -> tuple[str, int, dict] | None:
    """For a change that asks the current password again: None when it is right; else (text key, status, params) —
    throttled like a login (429), or wrong (422, counted as a failure)."""
    minutes = login_throttle.retry_after(db, user.email, _address())
    if minutes is not None:
        audit.record(db, user.email, login_throttle.THROTTLED, "console password check", _detail())
        return "login.throttled", 429, {"minutes": minutes}
    if authenticate(db, user.email, password[:1000]) is None:
        _failed(db, user.email, "console password check")
        return "account.wrong_password", 422, {}
    return None


@console.route("/logout", methods=["POST"])
def logout():
    """End the session (audited when it belonged to someone)."""
    with runtime().db.transaction() as db:
        user = sessions.session_user(db, session)
        if user is not None:
            audit.record(db, user.email, "logout", "console", _detail())
    session.clear()
    return redirect(url_for("console.login"))
