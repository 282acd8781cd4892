"""Fail fast and open on the web path: a deadline on a call that may hang, and a breaker that skips a dependency
which just failed, so that a hung Redis or database never holds a provider's webhook past its answer."""

from __future__ import annotations

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


def run_within(seconds: float, call: Callable[[], T], name: str = "deadline") -> T:
    """`call()` in a daemon thread, its result or its exception; DeadlineExceeded after `seconds`.

    A socket read on a frozen server (SIGSTOP: the kernel still accepts and acknowledges, nothing answers) waits
    forever whatever the server-side statement timeout says, and psycopg's connect timeout cannot go below 2 s: only
    the caller can stop waiting. The abandoned call may still finish later; its effects must be harmless twice (the
    store is deduplicated on the provider's id)."""
    outcome: list = []
    done = threading.Event()

    def target() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            outcome.append((False, exc))
        finally:
            done.set()

    threading.Thread(target=target, name=name, daemon=True).start()
    if not done.wait(seconds):
        raise DeadlineExceeded(f"no answer within {seconds:g} s")
    ok, value = outcome[0]
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
