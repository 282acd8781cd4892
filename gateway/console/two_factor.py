"""The console's second-factor pages: enrol TOTP (secret and QR code, confirmed by a code; recovery codes shown
once), see how many recovery codes are left, turn it off where it is not required."""

from __future__ import annotations

from flask import g, redirect, render_template, request, session, url_for

from gateway.console import console, elsewhere, runtime, session_state
from gateway.console.auth import confirm_password
from gateway.core import audit
from gateway.models import StaffUser
from gateway.staff import second_factor, sessions
from gateway.staff.scope import Scope

PENDING_KEY = "totp_pending"  # the secret shown on the enrolment page, until a code confirms it


def _grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _enrol_page(user: StaffUser, forced: bool, error: str | None = None, status: int = 200):
    """The secret, its QR code and the confirmation form (a new secret is drawn once per session)."""
    secret = session.get(PENDING_KEY)
    if not isinstance(secret, str) or len(secret) != 32:
        secret = session[PENDING_KEY] = second_factor.new_secret()
    uri = second_factor.provisioning_uri(secret, user.email)
    page = render_template(
        "console/2fa_enrol.html",
        qr=second_factor.qr_data_uri(uri),
        secret=_grouped(secret),
        forced=forced,
        error=error,
        email=user.email,
    )
    return page, status


@console.route("/account/2fa", methods=["GET"])
def enrol_second_factor():
    """Enrolment for an account without TOTP (the only page an admin without one may see); else its status."""
    with runtime().db.sessions() as db:
        user, state = session_state(db)
        if state not in ("ok", "enrol"):
            return elsewhere(state)
        if state == "ok":
            g.scope = Scope.of(user)  # the usual header; an enrolment that is owed shows none (nothing else opens)
        if not user.totp_secret:
            return _enrol_page(user, forced=state == "enrol")
        policy = runtime().settings.console_require_2fa
        return render_template(
            "console/2fa_on.html",
            left=second_factor.remaining_recovery_codes(user),
            required=second_factor.required_for(user, policy),
        )


@console.route("/account/2fa", methods=["POST"])
def confirm_second_factor():
    """A code from the app confirms the secret: TOTP on, recovery codes shown this once, the session complete."""
    with runtime().db.transaction() as db:
        user, state = session_state(db)
        if state not in ("ok", "enrol"):
            return elsewhere(state)
        if state == "ok":
            g.scope = Scope.of(user)
        if user.totp_secret:
            return redirect(url_for("console.enrol_second_factor"))
        secret = session.get(PENDING_KEY)
        if not isinstance(secret, str):
            return redirect(url_for("console.enrol_second_factor"))
        codes = second_factor.enrol(db, user, secret, request.form.get("code", "")[:40])
        if codes is None:
            return _enrol_page(user, forced=state == "enrol", error="twofa.wrong_code", status=422)
        audit.record(db, user.email, "2fa_enrolled", user.email, f"{len(codes)} recovery codes issued")
        # The code proved the second factor: a fresh session that owes nothing (and forgets the pending secret).
        sessions.start(session, user, second_factor=True)
    return render_template("console/2fa_codes.html", codes=codes)


@console.route("/account/2fa/disable", methods=["POST"])
def disable_second_factor():
    """Turn TOTP off (password required); refused where it is required (admins, or everyone with `all`)."""
    with runtime().db.transaction() as db:
        user, state = session_state(db)
        if state != "ok":
            return elsewhere(state)
        g.scope = Scope.of(user)
        policy = runtime().settings.console_require_2fa
        if not user.totp_secret:
            return redirect(url_for("console.enrol_second_factor"))
        left = second_factor.remaining_recovery_codes(user)
        if second_factor.required_for(user, policy):
            page = render_template("console/2fa_on.html", left=left, required=True, error="twofa.required")
            return page, 403
        refused = confirm_password(db, user, request.form.get("password", ""))
        if refused is not None:
            key, status, params = refused
            page = render_template("console/2fa_on.html", left=left, required=False, error=key, params=params)
            return page, status
        second_factor.disable(user)
        audit.record(db, user.email, "2fa_disabled", user.email)
        # The credentials' fingerprint changed: the user's other sessions end, this one goes on.
        sessions.start(session, user, second_factor=True)
    return redirect(url_for("console.account", done="2fa_off"))
