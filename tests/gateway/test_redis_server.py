"""Redis clients of the gateway: timeouts set explicitly, and long enough for the worker's blocking dequeue."""

from __future__ import annotations

import pytest
import redis

from gateway import redis_server
from gateway.redis_server import allow_blocking, connect
from workers.worker import run_worker

EXPLICIT = {"socket_connect_timeout": 5, "socket_timeout": 10, "health_check_interval": 30, "socket_keepalive": True}


def test_a_redis_url_client_has_explicit_timeouts(redis_url, tmp_path):
    handle = connect(redis_url, tmp_path)
    try:
        kwargs = handle.client.connection_pool.connection_kwargs
        # The embedded Redis (no TEST_REDIS_URL) is a unix socket, which has no TCP keep-alive to ask for.
        expected = {**EXPLICIT, "socket_keepalive": None} if redis_url.startswith("unix:") else EXPLICIT
        assert {k: kwargs.get(k) for k in expected} == expected
    finally:
        handle.close()


def test_the_embedded_redis_clients_have_explicit_timeouts(tmp_path):
    """The embedded server's own client, and one that other processes build from its unix:// URL (`gateway run`)."""
    handle = connect(None, tmp_path / "instance")
    try:
        kwargs = handle.client.connection_pool.connection_kwargs
        assert (kwargs.get("socket_timeout"), kwargs.get("health_check_interval")) == (10, 30)
        assert handle.client.ping()
        child = connect(handle.url, tmp_path / "instance")
        kwargs = child.client.connection_pool.connection_kwargs
        assert (kwargs.get("socket_timeout"), kwargs.get("health_check_interval")) == (10, 30)
        assert child.client.ping()
        child.close()
    finally:
        handle.close()


def test_a_blocking_wait_longer_than_the_socket_timeout_needs_allow_blocking(redis_url, tmp_path, monkeypatch):
    """A dequeue blocking longer than the socket timeout is a TimeoutError, unless the timeout was raised first."""
    monkeypatch.setattr(redis_server, "SOCKET_TIMEOUT_SECONDS", 1)
    handle = connect(redis_url, tmp_path)
    try:
        with pytest.raises(redis.TimeoutError):
            handle.client.blpop(["gw:test:nothing"], timeout=2)
        assert allow_blocking(handle.client, 2) == 2 + redis_server.BLOCKING_MARGIN_SECONDS
        assert handle.client.blpop(["gw:test:nothing"], timeout=2) is None
    finally:
        handle.close()


def test_the_worker_connection_outwaits_its_dequeue(runtime):
    run_worker(runtime, burst=True)
    timeout = runtime.redis.connection_pool.connection_kwargs["socket_timeout"]
    assert timeout > runtime.settings.sweep_interval_seconds, "an idle dequeue would end in a socket timeout"
