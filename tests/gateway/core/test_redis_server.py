"""Redis clients of the gateway: timeouts set explicitly, long enough for the worker's blocking dequeue, short for
the web process (a hung Redis must not hold a provider's webhook)."""

from __future__ import annotations

import socket

import pytest
import redis

from gateway.core import redis_server
from gateway.core.redis_server import allow_blocking, connect
from gateway.core.runtime import build_runtime
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


def test_the_web_runtime_has_short_redis_timeouts_without_retries_and_the_worker_long_ones(settings):
    """The web answers providers: half a second per Redis call, never retried; the worker's dequeue blocks longer."""
    web = build_runtime(settings, web=True)
    worker = build_runtime(settings)
    try:
        kwargs = web.redis.connection_pool.connection_kwargs
        assert (kwargs["socket_connect_timeout"], kwargs["socket_timeout"]) == (0.5, 0.5)
        assert kwargs["retry"].get_retries() == 0
        run_worker(worker, burst=True)
        kwargs = worker.redis.connection_pool.connection_kwargs
        assert kwargs["socket_timeout"] >= worker.settings.sweep_interval_seconds + redis_server.BLOCKING_MARGIN_SECONDS
        assert kwargs["socket_timeout"] > 10 * redis_server.WEB_SOCKET_TIMEOUT_SECONDS
    finally:
        web.close()
        worker.close()


def test_the_web_client_gives_up_on_a_redis_that_accepts_and_never_answers(tmp_path):
    """A frozen Redis: the kernel completes the connection, nothing answers. A timeout, not a wait."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # never accepted: connections sit in the backlog, as with a SIGSTOPped server
        handle = connect(f"redis://127.0.0.1:{silent.getsockname()[1]}/0", tmp_path, check=False, web=True)
        try:
            with pytest.raises(redis.TimeoutError):
                handle.client.rpush("gw:test:frozen", "x")
        finally:
            handle.close()
