"""The long-lived objects one process needs: settings, database, Redis and channels, built once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from bots.base import Channel
from flows import catalogue
from flows.conversations import ConversationStore
from gateway.core.config import Settings, load_settings
from gateway.core.db import Database
from gateway.core.redis_server import RedisHandle, connect
from gateway.messaging.channels import build_channels


@dataclass
class Runtime:
    """Everything a web request or a job reaches for, owned by one process."""

    settings: Settings
    db: Database
    redis_handle: RedisHandle
    channels: dict[str, Channel] = field(default_factory=dict)
    # The web process: short Redis and database deadlines, so that a hung dependency never holds a provider's
    # webhook (gateway/core/failfast.py); workers and commands wait longer instead.
    web: bool = False

    @property
    def conversations(self) -> ConversationStore:
        """Conversation state and per-contact locks, in Redis."""
        return ConversationStore(self.redis, self.settings.conversation_ttl_seconds)

    @property
    def redis(self):
        """The plain redis client (never the embedded server's wrapper)."""
        return self.redis_handle.client

    def close(self) -> None:
        """Release connections; stops the embedded Redis if this process started it."""
        self.db.dispose()
        self.redis_handle.close()


def build_runtime(settings: Settings | None = None, check_redis: bool = True, web: bool = False) -> Runtime:
    """Connect to the database and Redis named by the settings (or the environment); `web`: with the web
    process's short timeouts."""
    settings = settings or load_settings()
    catalogue.use_folder(catalogue_folder(settings))  # reviewed translations imported on this server
    db = Database(settings.database_url, web=web)
    handle = connect(settings.redis_url, settings.instance_path, check=check_redis, web=web)
    channels = build_channels(settings, handle.client)
    return Runtime(settings=settings, db=db, redis_handle=handle, channels=channels, web=web)


def catalogue_folder(settings: Settings):
    """Where `gateway catalogue import` writes the translations a speaker reviewed (the package may be read-only)."""
    return settings.instance_path / "catalogues"


_process_runtime: Runtime | None = None


def process_runtime() -> Runtime:
    """The runtime of this process, built on first use (workers and CLI commands)."""
    global _process_runtime
    if _process_runtime is None:
        _process_runtime = build_runtime()
    return _process_runtime


def set_process_runtime(runtime: Runtime | None) -> None:
    """Install (or clear) the runtime of this process; used by the app factory, the worker and tests."""
    global _process_runtime
    _process_runtime = runtime


def _after_fork_in_child() -> None:
    # RQ runs each job in a forked child: pooled database sockets must not be shared with the parent.
    if _process_runtime is not None:
        _process_runtime.db.engine.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork_in_child)
