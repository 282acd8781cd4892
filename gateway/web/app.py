"""The Flask app factory: configuration, runtime, blueprints, and JSON errors instead of HTML pages."""

from __future__ import annotations

from flask import Flask, abort, jsonify, request, session
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.middleware.proxy_fix import ProxyFix

from gateway.core.config import Settings, load_settings
from gateway.core.logs import configure_logging
from gateway.core.runtime import Runtime, build_runtime, set_process_runtime
from gateway.observability import multiproc
from gateway.staff.sessions import SESSION_MAX_AGE_SECONDS, secret_key

# Provider webhooks are small; anything bigger is refused with 413 without being read.
MAX_REQUEST_BYTES = 64 * 1024
# Only the gateway's own files: no inline script or style, no other site (the office network may be offline).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the web app. Without arguments, settings come from the environment (gunicorn's entry point)."""
    if runtime is None:
        settings = settings or load_settings()
        configure_logging(settings.log_level, settings.secrets)
        multiproc.prepare(settings.instance_path)  # before anything counts (gunicorn's workers share the files)
        runtime = build_runtime(settings, web=True)
    set_process_runtime(runtime)

    app = Flask(__name__, instance_path=str(runtime.settings.instance_path))
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.extensions["gateway"] = runtime
    # Behind a reverse proxy the public scheme and host come from X-Forwarded-*; signatures need them. Reached
    # directly (PROXY_HOPS=0) those headers are the client's own words: trusting them would let anyone pick the
    # address the login throttle counts.
    hops = runtime.settings.proxy_hops
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops)

    settings = runtime.settings
    app.secret_key = secret_key(settings.instance_path, settings.secret_key)
    app.config.update(
        SESSION_COOKIE_NAME="gateway_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Behind https (the public URL says so) the cookie never travels in clear.
        SESSION_COOKIE_SECURE=bool(settings.public_base_url and settings.public_base_url.startswith("https://")),
        PERMANENT_SESSION_LIFETIME=SESSION_MAX_AGE_SECONDS,
    )

    from gateway.api import API_PREFIX
    from gateway.api import error_response as api_error_response
    from gateway.api import http_error_response as api_http_error
    from gateway.api import register as register_api
    from gateway.console import register as register_console
    from gateway.web.health import health
    from gateway.web.metrics import metrics
    from gateway.web.webhooks import register

    app.register_blueprint(health)
    app.register_blueprint(metrics)
    register(app)
    register_console(app)
    register_api(app)

    @app.after_request
    def security_headers(response):
        """No framing, no sniffing, no referrer to other sites; pages run only the console's own scripts and styles."""
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        # same-origin, not no-referrer: behind https Flask-WTF refuses a form posted without a same-origin Referer.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if request.path.startswith(("/console", "/api")):
            response.headers.setdefault("Cache-Control", "no-store")  # nothing about an alert stays in a cache
        return response

    @app.before_request
    def refuse_oversized():
        """413 for any body over the limit, before a view reads it."""
        # MAX_CONTENT_LENGTH alone only applies when a view reads the body; refuse early on every route. A view
        # that takes files (the directory CSV upload) says how much it takes with a `max_body_bytes` attribute.
        view = app.view_functions.get(request.endpoint)
        limit = getattr(view, "max_body_bytes", MAX_REQUEST_BYTES)
        if limit != MAX_REQUEST_BYTES and not getattr(view, "signed_webhook", False) and not session.get("uid"):
            # Only a signed-in browser may send that much: the console's CSRF check parses a form before any view
            # looks at the login, and a stranger must not get 10 MB parsed. (Webhooks never open the session; one that
            # takes files inline is never parsed before its signature over the raw bytes is checked.)
            limit = MAX_REQUEST_BYTES
        if limit != MAX_REQUEST_BYTES:
            request.max_content_length = limit  # also stops a chunked body without Content-Length
        if request.content_length is not None and request.content_length > limit:
            abort(413, description=f"request body over {limit // 1024} KiB")

    def in_api() -> bool:
        # Under /api/v1 every error, werkzeug's own 404 and 405 included, has the API's nested shape.
        return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")

    def in_console() -> bool:
        return request.path == "/console" or request.path.startswith("/console/")

    @app.errorhandler(UnicodeError)
    def undecodable(_exc: UnicodeError):
        """Bytes that are not UTF-8 where text is expected: a 400, not a crash."""
        if in_api():
            return api_error_response(400, "bad_request", "the request is not valid UTF-8")
        return jsonify(error="Bad Request", reason="the request is not valid UTF-8"), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        """Every HTTP error as JSON with a short reason (under /api/v1 the API's nested shape; under /console an HTML
        page in the user's language)."""
        if in_api():
            return api_http_error(exc)
        if in_console():
            from gateway.console.errors import page as console_error_page

            return console_error_page(exc)
        return jsonify(error=exc.name, reason=exc.description), exc.code

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        """A 500 with a neutral reason (the console's HTML page under /console); the detail goes to the (scrubbed) log
        only."""
        app.logger.error("unhandled %s", type(exc).__name__, exc_info=exc)
        if in_api():
            return api_error_response(500, "internal_error", "the gateway could not process this request")
        if in_console():
            from gateway.console.errors import page as console_error_page

            try:
                return console_error_page(InternalServerError())
            except Exception:  # the page itself failed (e.g. its templates): the plain answer below still goes out
                app.logger.error("the console's error page failed", exc_info=True)
        return jsonify(error="Internal Server Error", reason="the gateway could not process this request"), 500

    return app
