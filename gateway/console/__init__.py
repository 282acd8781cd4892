"""The staff web console: server-rendered pages under /console/ (login, the alert desk, the audit log).

Every page but the login needs a session (`login_required`), which puts the user's `Scope` in `g.scope`; every
form posts a CSRF token (Flask-WTF), checked here for every unsafe method before any view runs."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, current_app, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect

from gateway.console.texts import install as install_texts
from gateway.staff import sessions

console = Blueprint("console", __name__, url_prefix="/console", template_folder="templates", static_folder="static")
csrf = CSRFProtect()

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@console.before_request
def check_csrf():
    """A form posted without its token answers 400 and changes nothing."""
    if request.method not in SAFE_METHODS:
        csrf.protect()


def runtime():
    """The gateway runtime of this app (database, Redis, settings)."""
    return current_app.extensions["gateway"]


def login_required(view):
    """The view runs with `g.scope` set, or the browser goes to the login page (htmx: HX-Redirect)."""

    @wraps(view)
    def guarded(*args, **kwargs):
        with runtime().db.sessions() as db:
            scope = sessions.scope_of(db, session)
        if scope is None:
            target = url_for("console.login", next=request.full_path if request.method == "GET" else None)
            if request.headers.get("HX-Request"):
                return "", 401, {"HX-Redirect": target}
            return redirect(target)
        g.scope = scope
        return view(*args, **kwargs)

    return guarded


def register(app) -> None:
    """Mount the console on the app: its blueprint, CSRF, texts in French and English."""
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # only the console's (and the API's cookie) writes
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    csrf.init_app(app)
    install_texts(app)
    from gateway.console import actions, alert_page, auth, desk  # noqa: F401 - their routes register on the blueprint

    app.register_blueprint(console)
