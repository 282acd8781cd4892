"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from gateway.core import failfast
from gateway.messaging.channels import sms_channel_code
from gateway.messaging.routing import sms_warning

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz():
    """The process answers."""
    return jsonify(status="ok")


@health.get("/readyz")
def readyz():
    """The database and Redis both answer; 503 naming the one that does not. The channels are listed, with a
    warning when no SMS channel exists, but do not decide readiness: a Telegram-only deployment is legitimate, and
    taking the web out of a load balancer would not bring an SMS provider back."""
    runtime = current_app.extensions["gateway"]
    checks = {}
    try:
        # A hung database would hold the probe (and a web thread) for ever: the web path's deadline applies.
        if runtime.web:
            failfast.run_within(failfast.STORE_DEADLINE_SECONDS, runtime.db.ping, name="database")
        else:
            runtime.db.ping()
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"] = f"unreachable ({type(exc).__name__})"
    try:
        runtime.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"unreachable ({type(exc).__name__})"
    ready = all(v == "ok" for v in checks.values())
    failing = [name for name, v in checks.items() if v != "ok"]
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    if failing:
        body["reason"] = f"{' and '.join(failing)} not reachable"
    sms = sms_channel_code(runtime.settings, runtime.channels)
    body["channels"] = {
        "sms": sms or "not configured",
        "telegram": "configured" if "telegram" in runtime.channels else "not configured",
    }
    warning = sms_warning(runtime.settings, runtime.channels)
    if warning:
        body["warning"] = warning
    return jsonify(body), 200 if ready else 503
