"""The user's own account page: who they are, their second factor, and changing their password."""

from __future__ import annotations

from flask import g, redirect, render_template, request, session, url_for

from gateway.console import console, login_required, runtime
from gateway.console.auth import confirm_password
from gateway.core import audit
from gateway.models import StaffUser
from gateway.staff import second_factor, sessions
from gateway.staff.accounts import AccountError, hash_password

DONE_MESSAGES = {"password": "account.password_changed", "2fa_off": "account.2fa_off"}


def _page(user: StaffUser, error: str | None = None, status: int = 200, params: dict | None = None):
    """The account page."""
    policy = runtime().settings.console_require_2fa
    page = render_template(
        "console/account.html",
        user=user,
        has_2fa=bool(user.totp_secret),
        required_2fa=second_factor.required_for(user, policy),
        left=second_factor.remaining_recovery_codes(user),
        done=DONE_MESSAGES.get(request.args.get("done", "")),
        error=error,
        params=params or {},
    )
    return page, status


@console.route("/account", methods=["GET"])
@login_required
def account():
    """Name, email, role and scope; second factor; the password form."""
    with runtime().db.sessions() as db:
        return _page(db.get(StaffUser, g.scope.user_id))


@console.route("/account/password", methods=["POST"])
@login_required
def change_password():
    """A new password, the current one required: audited; the user's other sessions end (the password's
    fingerprint in every session cookie no longer matches), this one goes on."""
    new = request.form.get("new_password", "")[:1000]
    with runtime().db.transaction() as db:
        user = db.get(StaffUser, g.scope.user_id)
        refused = confirm_password(db, user, request.form.get("current_password", ""))
        if refused is not None:
            key, status, params = refused
            return _page(user, key, status, params)
        if new != request.form.get("new_password_confirm", "")[:1000]:
            return _page(user, "account.mismatch", 422)
        try:
            user.password_hash = hash_password(new)
        except AccountError:
            return _page(user, "account.too_short", 422)
        audit.record(db, user.email, "password_change", user.email, "by the user, from the console")
        sessions.start(session, user, second_factor=True)
    return redirect(url_for("console.account", done="password"))
