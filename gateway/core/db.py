"""Database engine and sessions; runs the after-commit hooks that enqueue outbox rows."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

# Key in `Session.info` under which callbacks wait for the commit (see `on_commit`).
_AFTER_COMMIT = "gateway_after_commit"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the web process read while a worker writes; busy_timeout waits for a lock instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine for a SQLite or PostgreSQL URL with the settings this gateway relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
        # hide_parameters: an error's text must never carry a phone number or a message body into a log.
        engine = create_engine(url, connect_args={"timeout": 10}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=True)


_BAGS = "gateway_transaction_bags"


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once the session's current transaction has committed (dropped on rollback)."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def transaction_bag(session: Session, key: str, create: Callable[[], object]):
    """An object shared by everything in the current transaction (made by `create` on first use), forgotten
    when the transaction ends; e.g. the batch of outbox rows to enqueue together after the commit."""
    bags = session.info.setdefault(_BAGS, {})
    if key not in bags:
        bags[key] = create()
    return bags[key]


def _run_after_commit(session: Session) -> None:
    session.info.pop(_BAGS, None)
    callbacks = session.info.pop(_AFTER_COMMIT, [])
    for callback in callbacks:
        try:
            callback()
        except Exception as exc:  # noqa: BLE001 - the commit stands; the outbox sweeper retries what failed here
            log.warning("after-commit hook failed (%s); the outbox sweeper will pick the work up", type(exc).__name__)


def _forget_after_commit(session: Session) -> None:
    session.info.pop(_BAGS, None)
    session.info.pop(_AFTER_COMMIT, None)


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.sessions, "after_commit", _run_after_commit)
        event.listen(self.sessions, "after_soft_rollback", lambda s, _t: _forget_after_commit(s))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed at the end of the block, or rolled back on error."""
        with self.sessions() as session, session.begin():
            yield session

    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close pooled connections (after a fork, or at exit)."""
        self.engine.dispose()
