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


# How long a writer waits for SQLite's lock: workers and commands wait long (a broadcast's insert may hold it for
# seconds), the web process less. A webhook does not wait for it: its store runs under the 1 s deadline of
# failfast.py and goes to the spool past it; the console's writes must still outlast a broadcast's insert.
BUSY_TIMEOUT_SECONDS = 10
WEB_BUSY_TIMEOUT_SECONDS = 5
# PostgreSQL from the web process: a pool checkout waits at most this long (the connections may all be stuck in a
# hung server), a new connection at most libpq's minimum of 2 s; the store's own deadline is in failfast.py.
WEB_POOL_TIMEOUT_SECONDS = 1
WEB_CONNECT_TIMEOUT_SECONDS = 2


def _sqlite_pragmas(busy_seconds: float):
    def set_pragmas(dbapi_connection, _record) -> None:
        # WAL lets the web process read while a worker writes; busy_timeout waits for a lock instead of failing.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return set_pragmas


def make_engine(url: str, web: bool = False) -> Engine:
    """Create an engine for a SQLite or PostgreSQL URL with the settings this gateway relies on; `web`: with the web
    process's short waits."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
        busy = WEB_BUSY_TIMEOUT_SECONDS if web else BUSY_TIMEOUT_SECONDS
        # hide_parameters: an error's text must never carry a phone number or a message body into a log.
        engine = create_engine(url, connect_args={"timeout": busy}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas(busy))
        return engine
    if web:
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
            pool_timeout=WEB_POOL_TIMEOUT_SECONDS,
            connect_args={"connect_timeout": WEB_CONNECT_TIMEOUT_SECONDS},
            hide_parameters=True,
        )
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

    def __init__(self, url: str, web: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, web=web)
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
