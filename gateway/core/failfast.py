"""Fail fast and open on the web path: a deadline on a call that may hang, and a breaker that skips a dependency
which just failed, so that a hung Redis or database never holds a provider's webhook past its answer."""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# A webhook stores its message within this long or spools it (Twilio waits 15 s, the gateway promises 2 s). A
# healthy store takes a few milliseconds; a pool checkout on a loaded PostgreSQL a few tens.
STORE_DEADLINE_SECONDS = 1.0
# After a failure, the web process does not try that dependency again for this long: the requests in between go
# straight to the spool (database) or leave the job to the sweep (Redis) instead of each waiting for a timeout.
BREAKER_OPEN_SECONDS = 5.0


class DeadlineExceeded(TimeoutError):
    """The call did not finish in time; it goes on in its own thread, whose result nobody reads."""


class Skipped(ConnectionError):
    """Not even tried: the dependency failed moments ago (its breaker is open)."""


class _Call:
    """One call handed to the pool, and what became of it."""

    __slots__ = ("call", "done", "outcome", "abandoned")

    def __init__(self, call: Callable) -> None:
        self.call, self.done, self.outcome, self.abandoned = call, threading.Event(), None, False

    def run(self) -> None:
        if self.abandoned:  # its caller stopped waiting before a thread was free: never start it late
            return
        try:
            self.outcome = (True, self.call())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            self.outcome = (False, exc)
        finally:
            self.done.set()


class DeadlinePool:
    """Threads kept for calls with a deadline: starting a thread per webhook cost more than its database insert.

    Daemon threads (concurrent.futures' are joined at exit), so that a call hung on a frozen server never holds a
    stopping process; started as needed up to `size`, after which calls wait in line (within their deadline)."""

    def __init__(self, size: int) -> None:
        """No thread until the first call."""
        self.size = size
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a forked child inherits the counts, not the threads

    def _reset(self) -> None:
        self._calls: queue.SimpleQueue[_Call] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0

    def submit(self, call: Callable) -> _Call:
        """Queue `call`; a thread is started when none is idle and the pool is not full."""
        pending = _Call(call)
        with self._lock:
            start = self._idle == 0 and self._threads < self.size
            if start:
                self._threads += 1
        self._calls.put(pending)
        if start:
            threading.Thread(target=self._serve, name="deadline", daemon=True).start()
        return pending

    def _serve(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            pending = self._calls.get()
            with self._lock:
                self._idle -= 1
            pending.run()


# One per process: as many threads as gunicorn gives a web worker (gateway/web/webserver.py), so that a burst of
# webhooks never waits for a thread while the database is healthy.
POOL = DeadlinePool(size=32)


def run_within(seconds: float, call: Callable[[], T], name: str = "deadline") -> T:
    """`call()` in a pool thread, its result or its exception; DeadlineExceeded after `seconds`.

    A socket read on a frozen server (SIGSTOP: the kernel still accepts and acknowledges, nothing answers) waits
    forever whatever the server-side statement timeout says, and psycopg's connect timeout cannot go below 2 s: only
    the caller can stop waiting. The abandoned call may still finish later; its effects must be harmless twice (the
    store is deduplicated on the provider's id). `name` says what is waited for, in the error."""
    pending = POOL.submit(call)
    if not pending.done.wait(seconds):
        pending.abandoned = True
        raise DeadlineExceeded(f"no answer from the {name} within {seconds:g} s")
    ok, value = pending.outcome
    if ok:
        return value
    raise value


class Breaker:
    """Open for `open_seconds` after a failure: callers skip the dependency meanwhile (one per process and
    dependency; a race between threads only means one more try)."""

    def __init__(self, open_seconds: float = BREAKER_OPEN_SECONDS, clock: Callable[[], float] = time.monotonic):
        """Closed until the first failure."""
        self.open_seconds = open_seconds
        self.clock = clock
        self._until = 0.0

    def is_open(self) -> bool:
        """Whether the dependency failed less than `open_seconds` ago."""
        return self.clock() < self._until

    def trip(self) -> None:
        """Note a failure: skip the dependency for the next `open_seconds`."""
        self._until = self.clock() + self.open_seconds

    def reset(self) -> None:
        """Note a success (or forget a failure, in tests)."""
        self._until = 0.0


# The web process's breakers (module-level: one per process, shared by its threads).
DATABASE = Breaker()
REDIS = Breaker()
