"""Liveness and readiness probes, and the JSON answers every other request gets (invariant 7: a 4xx with a reason).

A load balancer or an operator reads these: /readyz must say which dependency is down, in a body that holds no
credential, and a request the gateway refuses must answer JSON, never an HTML page or a traceback.
"""

from __future__ import annotations

import json

import pytest
import redis
from flask import request
from redis.backoff import NoBackoff
from redis.retry import Retry

from gateway.core.db import Database
from gateway.web.app import MAX_REQUEST_BYTES

# Each unreachable database is unreachable whatever backend the tests run on.
DEAD_DATABASES = {
    "postgresql, nothing listening": "postgresql+psycopg://postgres:s3cret-pw@127.0.0.1:1/none?connect_timeout=2",
    "sqlite, path is a directory": "sqlite:///{tmp_path}",
}


def _json(response) -> dict:
    """The response's JSON body, failing the test when it is not JSON."""
    assert response.is_json, f"not JSON ({response.content_type}): {response.get_data(as_text=True)[:200]}"
    return response.get_json()


def _dead_redis() -> redis.Redis:
    """A client on a port where nothing listens."""
    return redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert _json(response) == {"status": "ok"}


def test_readyz_reports_database_and_redis_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = _json(response)
    assert body["status"] == "ready"
    assert body["checks"] == {"database": "ok", "redis": "ok"}
    assert "reason" not in body


@pytest.fixture
def env(base_env, request) -> dict[str, str]:
    """The test gateway, with a test's channel settings on top (indirect parametrization)."""
    return {**base_env, **getattr(request, "param", {})}


TWILIO = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "t0ken", "TWILIO_FROM_NUMBER": "+15005550006"}
SMS_READINESS = [
    ("no SMS provider", {"GATEWAY_CONSOLE_CHANNEL": ""}, "not configured", True),
    ("Twilio", {"GATEWAY_CONSOLE_CHANNEL": "", **TWILIO}, "twilio", False),
    ("console (tests)", {}, "console", False),
]


@pytest.mark.parametrize(
    ("env", "sms", "warned"), [r[1:] for r in SMS_READINESS], ids=[r[0] for r in SMS_READINESS], indirect=["env"]
)
def test_readyz_warns_without_an_sms_channel_but_stays_ready(client, sms, warned):
    """Readiness is the database and Redis only (a Telegram-only deployment is legitimate), so 200, with the SMS
    channel named and, when there is none, a warning an operator can act on."""
    response = client.get("/readyz")
    assert response.status_code == 200
    body = _json(response)
    assert body["status"] == "ready" and body["checks"] == {"database": "ok", "redis": "ok"}
    assert body["channels"]["sms"] == sms
    if warned:
        assert "no SMS channel" in body["warning"] and "TWILIO_ACCOUNT_SID" in body["warning"]
    else:
        assert "warning" not in body
    assert "t0ken" not in response.get_data(as_text=True)


def test_readyz_names_redis_when_redis_is_down(client, runtime):
    real = runtime.redis_handle.client
    runtime.redis_handle.client = _dead_redis()
    try:
        response = client.get("/readyz")
    finally:
        runtime.redis_handle.client.close()
        runtime.redis_handle.client = real
    assert response.status_code == 503
    body = _json(response)
    assert "redis" in body["reason"] and "database" not in body["reason"]
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"] != "ok"
    assert client.get("/readyz").status_code == 200, "readiness did not come back with Redis"


@pytest.mark.parametrize("url", DEAD_DATABASES.values(), ids=DEAD_DATABASES.keys())
def test_readyz_names_the_database_when_it_is_down(client, runtime, tmp_path, url):
    real = runtime.db
    runtime.db = Database(url.format(tmp_path=tmp_path))
    try:
        response = client.get("/readyz")
    finally:
        runtime.db.dispose()
        runtime.db = real
    assert response.status_code == 503
    body = _json(response)
    assert "database" in body["reason"] and "redis" not in body["reason"]
    assert body["checks"]["redis"] == "ok" and body["checks"]["database"] != "ok"
    assert "s3cret-pw" not in response.get_data(as_text=True), "readiness body leaks the database password"
    assert client.get("/readyz").status_code == 200, "readiness did not come back with the database"


def test_readyz_names_both_when_both_are_down(client, runtime, tmp_path):
    real_db, real_redis = runtime.db, runtime.redis_handle.client
    runtime.db = Database(DEAD_DATABASES["sqlite, path is a directory"].format(tmp_path=tmp_path))
    runtime.redis_handle.client = _dead_redis()
    try:
        response = client.get("/readyz")
    finally:
        runtime.db.dispose()
        runtime.redis_handle.client.close()
        runtime.db, runtime.redis_handle.client = real_db, real_redis
    assert response.status_code == 503
    reason = _json(response)["reason"]
    assert "database" in reason and "redis" in reason


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/no-such-page", 404), ("POST", "/webhooks/unknown", 404), ("DELETE", "/healthz", 405)],
)
def test_refused_requests_answer_json_with_a_reason(client, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    body = _json(response)
    assert body["reason"] and "Traceback" not in response.get_data(as_text=True)


@pytest.fixture
def echo_app(app):
    """The app with one extra route that reads its body, as every webhook does."""
    app.add_url_rule("/test-echo", "test_echo", lambda: {"size": len(request.get_data())}, methods=["POST"])
    return app


def test_a_body_at_the_limit_is_read(echo_app):
    response = echo_app.test_client().post("/test-echo", data=b"x" * MAX_REQUEST_BYTES)
    assert response.status_code == 200
    assert _json(response) == {"size": MAX_REQUEST_BYTES}


OVERSIZED_TARGETS = [
    pytest.param("/test-echo", id="route reading its body"),
    pytest.param("/healthz", id="GET-only route"),
    pytest.param("/no-such-page", id="unknown route"),
]


@pytest.mark.parametrize("path", OVERSIZED_TARGETS)
@pytest.mark.parametrize("encoding", ["raw", "form"])
def test_an_oversized_body_answers_413_with_a_reason(echo_app, path, encoding):
    big = "x" * (MAX_REQUEST_BYTES + 1024)
    client = echo_app.test_client()
    if encoding == "form":
        response = client.post(path, data={"Body": big})
    else:
        response = client.post(path, data=big.encode(), content_type="application/json")
    assert response.status_code == 413
    body = _json(response)
    assert body["reason"] and "Traceback" not in json.dumps(body)


def test_readyz_of_the_web_process_says_not_ready_when_the_database_hangs(settings, runtime, monkeypatch):
    """A frozen database never answers the ping: the probe gives up after the web path's deadline (503), instead of
    holding a web thread for as long as the freeze lasts."""
    import threading

    from gateway.core import failfast
    from gateway.core.runtime import build_runtime, set_process_runtime
    from gateway.web.app import create_app

    monkeypatch.setattr(failfast, "STORE_DEADLINE_SECONDS", 0.2)
    web = build_runtime(settings, web=True)
    thaw = threading.Event()
    monkeypatch.setattr(web.db, "ping", lambda: thaw.wait(30))
    try:
        response = create_app(runtime=web).test_client().get("/readyz")
    finally:
        thaw.set()
        set_process_runtime(runtime)
        web.close()
    assert response.status_code == 503
    assert _json(response)["checks"]["database"] == "unreachable (DeadlineExceeded)"
