"""The console's error pages: HTML in the user's language (the app answers JSON everywhere else)."""

from __future__ import annotations

from flask import render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

# Codes with a text of their own; any other shows the generic one.
KNOWN = frozenset({400, 403, 404, 405, 413, 429, 500, 503})


def page(exc: HTTPException):
    """The error page for an HTTP error under /console (a form without its CSRF token says so)."""
    code = exc.code or 500
    key = "error.csrf" if isinstance(exc, CSRFError) else f"error.{code}" if code in KNOWN else "error.other"
    # werkzeug's default descriptions are English prose; only the console's own reasons (given to abort) are shown.
    reason = exc.description if exc.description != type(exc).description and not isinstance(exc, CSRFError) else ""
    return render_template("console/error.html", code=code, key=key, reason=reason), code
