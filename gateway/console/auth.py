"""Logging in and out of the console: email and password (a second factor when the account has or needs one)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import redirect, render_template, request, session, url_for

from gateway.console import console, runtime
from gateway.core import audit
from gateway.models import utcnow
from gateway.staff import sessions
from gateway.staff.accounts import authenticate


def _safe_next(target: str | None) -> str:
    """Only a path of this console: never an open redirect to another site."""
    if target and target.startswith("/console/") and not urlsplit(target).netloc and "\\" not in target:
        return target
    return url_for("console.inbox")


@console.route("/login", methods=["GET", "POST"])
def login():
    """The login form; on success the session starts and the user goes where they were going."""
    if request.method == "GET":
        return render_template("console/login.html", next=request.args.get("next", ""))
    email = request.form.get("email", "")[:200]
    password = request.form.get("password", "")[:1000]
    address = request.remote_addr or "?"
    with runtime().db.transaction() as db:
        user = authenticate(db, email, password)
        if user is None:
            audit.record(db, email.strip().lower() or "?", "login_failed", "console", f"from {address}")
        else:
            user.last_login_at = utcnow()
            audit.record(db, user.email, "login", "console", f"from {address}")
            sessions.start(session, user, second_factor=True)
    if user is None:
        return render_template("console/login.html", error="login.failed", next=request.form.get("next", "")), 401
    return redirect(_safe_next(request.form.get("next")))


@console.route("/logout", methods=["POST"])
def logout():
    """End the session."""
    session.clear()
    return redirect(url_for("console.login"))
