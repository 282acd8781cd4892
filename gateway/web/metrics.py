"""`GET /metrics`: Prometheus metrics for whoever runs the gateway, behind a bearer token (METRICS_TOKEN) or, with
no token set, to the machine itself only."""

from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Response, current_app, jsonify, request

from gateway.observability.exposition import render

metrics = Blueprint("metrics", __name__)

# Headers a reverse proxy adds (and X-Forwarded-*): behind one on the same machine every client's socket peer is
# the loopback, so their presence means the request came from elsewhere whatever the peer says.
FORWARDING_HEADERS = ("forwarded", "x-real-ip", "x-client-ip", "true-client-ip", "cf-connecting-ip")


def forwarded() -> bool:
    """Whether the request carries any forwarding header."""
    return any(n.lower() in FORWARDING_HEADERS or n.lower().startswith("x-forwarded-") for n in request.headers.keys())


def _refused(status: int, reason: str) -> Response:
    response = jsonify(error="Unauthorized" if status == 401 else "Forbidden", reason=reason)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


def socket_peer() -> str:
    """The address of the connection itself: werkzeug's ProxyFix replaces REMOTE_ADDR with X-Forwarded-For (which
    a client writes) and keeps the original aside."""
    original = request.environ.get("werkzeug.proxy_fix.orig") or {}
    return original.get("REMOTE_ADDR") or request.environ.get("REMOTE_ADDR") or ""


def is_loopback(address: str) -> bool:
    """Whether an address is this machine's (127.0.0.0/8, ::1)."""
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def refusal(token: str | None) -> Response | None:
    """None when the request may read the metrics; else the 401 or 403 to answer."""
    if token:
        scheme, _, given = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            return _refused(401, "a bearer token is required (Authorization: Bearer <METRICS_TOKEN>)")
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            return _refused(401, "wrong metrics token")
        return None
    if not is_loopback(socket_peer()) or forwarded():
        return _refused(403, "metrics are served to this machine only; set METRICS_TOKEN to scrape from elsewhere")
    return None


@metrics.get("/metrics")
def scrape():
    """The gateway's metrics in Prometheus's text format."""
    runtime = current_app.extensions["gateway"]
    refused = refusal(runtime.settings.metrics_token)
    if refused is not None:
        return refused
    body, content_type = render(runtime)
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})
