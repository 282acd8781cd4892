"""The staff web console: server-rendered pages under /console/ (login, the alert desk, the audit log).

Every page but the login needs a session (`login_required`), which puts the user's `Scope` in `g.scope`; every
form posts a CSRF token (Flask-WTF), checked here for every unsafe method before any view runs."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, current_app, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect

from gateway.console.texts import choose_language, remember_language
from gateway.console.texts import install as install_texts
from gateway.models import StaffUser
from gateway.staff import sessions
from gateway.staff.scope import Scope

console = Blueprint("console", __name__, url_prefix="/console", template_folder="templates", static_folder="static")
csrf = CSRFProtect()
console.before_request(choose_language)
console.after_request(remember_language)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The menu: (endpoint, text key, roles that see it; None: every role). A part of the console adds its page here.
NAV = (
    ("console.inbox", "nav.inbox", None),
    ("console.meetings", "nav.meetings", None),
    ("console.roadmaps", "nav.roadmaps", None),
    ("console.pulse_districts", "nav.pulse", None),
    ("console.contacts", "nav.contacts", None),
    ("console.broadcasts", "nav.broadcasts", None),
    ("console.message_log", "nav.messages", frozenset({"admin", "coordinator"})),
    ("console.audit_log", "nav.audit", frozenset({"admin"})),
)


@console.app_context_processor
def menu():
    """`nav_items()` in templates: the menu entries of the signed-in user's role whose pages exist."""

    def nav_items() -> list[tuple[str, str]]:
        scope = getattr(g, "scope", None)
        if scope is None:
            return []
        pages = current_app.view_functions
        return [(e, key) for e, key, roles in NAV if e in pages and (roles is None or scope.role in roles)]

    return {"nav_items": nav_items}


@console.before_request
def check_csrf():
    """A form posted without its token answers 400 and changes nothing."""
    if request.method not in SAFE_METHODS:
        csrf.protect()


def runtime():
    """The gateway runtime of this app (database, Redis, settings)."""
    return current_app.extensions["gateway"]


def session_state(db) -> tuple[StaffUser | None, str]:
    """Where this browser's session stands: (user, state), state one of "ok", "enrol", "otp", "ended" or "none"
    (gateway.staff.sessions.session_state, which the API's cookie path uses too)."""
    return sessions.session_state(db, session, runtime().settings.console_require_2fa)


def elsewhere(state: str):
    """The redirect for a session that may not see the page: to the login, its code step, or 2FA enrolment."""
    if state == "enrol":
        target = url_for("console.enrol_second_factor")
    elif state == "otp":
        target = url_for("console.login")
    else:
        if state == "ended":
            session.clear()  # nothing of an ended session carries over
        nxt = request.full_path if request.method == "GET" else None
        target = url_for("console.login", next=nxt, ended=1 if state == "ended" else None)
    if request.headers.get("HX-Request"):
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


def login_required(view):
    """The view runs with `g.scope` set, or the browser goes to the login page (or to the second factor still
    owed); htmx requests get HX-Redirect."""

    @wraps(view)
    def guarded(*args, **kwargs):
        with runtime().db.sessions() as db:
            user, state = session_state(db)
            scope = Scope.of(user) if state == "ok" else None
        if scope is None:
            return elsewhere(state)
        g.scope = scope
        return view(*args, **kwargs)

    return guarded


def register(app) -> None:
    """Mount the console on the app: its blueprint, CSRF, texts in French and English."""
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # only the console's (and the API's cookie) writes
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    csrf.init_app(app)
    install_texts(app)
    from gateway.console import (  # noqa: F401 - their routes register on the blueprint
        account,
        actions,
        alert_page,
        audit_page,
        auth,
        broadcast_compose,
        broadcasts,
        contact_page,
        contacts,
        contacts_import,
        deliveries,
        desk,
        health_panel,
        media,
        meetings,
        meetings_export,
        meetings_forms,
        message_log,
        pulse_pages,
        roadmaps,
        two_factor,
    )

    app.register_blueprint(console)
