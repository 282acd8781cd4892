"""The staff JSON API under /api/v1: who is asking (bearer token or console session), the JSON body of a write,
and errors in one nested shape `{"error": {"code", "message"}}` (DESIGN, "External interface").

Every view runs with `g.scope` set by `authenticate` below; the scope is then applied in the queries
(gateway.staff.scope), so an alert of another district is simply not found."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, g, jsonify, request, session
from flask_wtf.csrf import validate_csrf
from werkzeug.exceptions import HTTPException
from wtforms.validators import ValidationError

from gateway.alerts.desk import DeskRefusal
from gateway.staff import sessions
from gateway.staff.accounts import user_for_token
from gateway.staff.scope import Scope

API_PREFIX = "/api/v1"
api = Blueprint("api", __name__, url_prefix=API_PREFIX)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Views that answer without a login: the OpenAPI document describes the API, it holds no record.
PUBLIC_ENDPOINTS = frozenset({"api.openapi_document"})

# The `code` of each HTTP status when nothing more precise is said (e.g. werkzeug's own 404 and 405).
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    500: "internal_error",
}


class ApiError(Exception):
    """A refusal answered as `{"error": {"code", "message"}}` with an HTTP status."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code or STATUS_CODES.get(status, "error")


NOT_FOUND_MESSAGE = "no such alert in your scope"


def not_found() -> ApiError:
    """The one answer for an unknown reference and for one out of scope: nothing tells them apart."""
    return ApiError(404, NOT_FOUND_MESSAGE)


def error_response(status: int, code: str, message: str):
    """The nested error body with its status."""
    return jsonify(error={"code": code, "message": message}), status


def http_error_response(exc: HTTPException):
    """A werkzeug HTTP error (unknown URL, wrong method, body too large…) in the API's shape."""
    body, status = error_response(exc.code or 500, STATUS_CODES.get(exc.code, "error"), exc.description or exc.name)
    if getattr(exc, "valid_methods", None):  # 405 says which methods the route takes
        body.headers["Allow"] = ", ".join(exc.valid_methods)
    return body, status


def runtime():
    """The gateway runtime of this app (database, Redis, settings)."""
    return current_app.extensions["gateway"]


@api.errorhandler(ApiError)
def api_error(exc: ApiError):
    """An ApiError as JSON; a 401 says which scheme to use."""
    body, status = error_response(exc.status, exc.code, exc.message)
    if status == 401:
        body.headers["WWW-Authenticate"] = 'Bearer realm="gateway"'
    return body, status


@api.errorhandler(DeskRefusal)
def desk_refusal(exc: DeskRefusal):
    """The desk's refusals: forbidden → 403, conflict → 409, invalid → 422."""
    return error_response(exc.http_status, exc.code, exc.message)


def _bearer_scope(header: str) -> Scope:
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "use the header 'Authorization: Bearer <token>' (gateway users token EMAIL)")
    with runtime().db.transaction() as db:  # commits the token's last_used_at
        user = user_for_token(db, secret.strip())
        if user is None:
            raise ApiError(401, "this token is unknown, revoked, or its account is disabled")
        return Scope.of(user)


# Why a console session cannot use the API (the same states as the console's own pages).
SESSION_REFUSALS = {
    "enrol": "set up your second factor in the console first",
    "otp": "finish logging in to the console with your code first",
}


def _cookie_scope() -> Scope:
    with runtime().db.sessions() as db:
        user, state = sessions.session_state(db, session, runtime().settings.console_require_2fa)
        scope = Scope.of(user) if state == "ok" else None
    if scope is None:
        message = SESSION_REFUSALS.get(state, "log in: send 'Authorization: Bearer <token>' or a console session")
        raise ApiError(401, message)
    if request.method not in SAFE_METHODS:
        # A cookie travels by itself with any request a browser makes: a write must prove it came from the console.
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except ValidationError:
            raise ApiError(403, "a write with a session cookie needs the header X-CSRFToken", "csrf") from None
    return scope


@api.before_request
def authenticate():
    """Put the caller's scope in `g.scope`, or answer 401 (403 for a cookie write without its CSRF token)."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization")
    g.scope = _bearer_scope(header) if header is not None else _cookie_scope()


def require_writer() -> None:
    """The observer reads only: every write answers 403, whatever the alert."""
    if g.scope.read_only:
        raise ApiError(403, "an observer may not change anything")


def json_body() -> dict:
    """The request's JSON object: 415 for another content type, 400 for text that is not a JSON object."""
    if request.mimetype != "application/json":
        raise ApiError(415, "send the body as JSON (Content-Type: application/json)")
    try:
        body = json.loads(request.get_data(cache=True) or b"")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "the body is not valid JSON", "malformed_json") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object", "malformed_json")
    return body


def register(app) -> None:
    """Mount the API on the app."""
    from gateway.api import alerts, broadcasts, contacts, health, indicators, meetings, openapi, roadmaps  # noqa: F401 - their routes register on the blueprint

    app.register_blueprint(api)
