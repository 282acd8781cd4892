"""Receiving a webhook's message whatever the database does: stored within the web's deadline and handed to the
workers (`inbox.accept`), else spooled to disk so that it is not lost even with a provider that never retries;
the spool replayed once the database answers again (here, and by the sweeper)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from bots.base import InboundMessage
from gateway.core import failfast
from gateway.core.runtime import Runtime
from gateway.messaging import spool
from gateway.messaging.inbox import Receipt, accept

log = logging.getLogger(__name__)
T = TypeVar("T")


def receive_or_spool(runtime: Runtime, inbound: InboundMessage, address_kind: str = "phone") -> Receipt | None:
    """Accept (store and queue the handling); when the database cannot store the message, spool it to disk
    instead (None) so that it is not lost even with a provider that never retries. In the web process a store
    that takes longer than `failfast.STORE_DEADLINE_SECONDS` (a hung database) is spooled too. Replays the spool
    once the database answers again."""
    try:
        receipt = on_database(runtime, lambda: accept(runtime, inbound, address_kind))
    except Exception as exc:  # noqa: BLE001 - any storage failure: the spool takes it
        log.error("inbound %s message not stored (%s): spooling it", inbound.channel, type(exc).__name__)
        spool.write(runtime.settings.instance_path, inbound, address_kind)
        _next_spool_check[0] = 0.0  # the first message stored again replays it
        return None
    if _spool_check_due() and spool.pending(runtime.settings.instance_path):
        replay_soon(runtime)
    return receipt


# The web looks for spooled messages at most this often (a directory listing on every webhook cost a tenth of its
# work), and right after this process spooled one; the sweeper replays the spool too.
SPOOL_CHECK_SECONDS = 2.0
_next_spool_check = [0.0]


def _spool_check_due() -> bool:
    """Whether it is time to look at the spool again (threads racing here only look twice)."""
    now = time.monotonic()
    if now < _next_spool_check[0]:
        return False
    _next_spool_check[0] = now + SPOOL_CHECK_SECONDS
    return True


def on_database(runtime: Runtime, call: Callable[[], T]) -> T:
    """`call()`; in the web process within the store deadline, and not even tried while the database has just
    failed (`failfast.Skipped`), so that a webhook never waits on a hung database."""
    if not runtime.web:
        return call()
    if failfast.DATABASE.is_open():
        raise failfast.Skipped("the database failed moments ago")
    try:
        return failfast.run_within(failfast.STORE_DEADLINE_SECONDS, call, name="database")
    except Exception:
        failfast.DATABASE.trip()
        raise


_replaying = threading.Lock()


def replay_soon(runtime: Runtime) -> None:
    """Replay the spool: inline in workers, in a background thread in the web process (a replay of hundreds of
    messages must not hold the webhook that found the database back)."""
    if not runtime.web:
        try:
            replay_spool(runtime)
        except Exception as exc:  # noqa: BLE001 - the sweep tries again
            log.warning("spool replay failed (%s)", type(exc).__name__)
        return
    if not _replaying.acquire(blocking=False):
        return  # this process replays already

    def run() -> None:
        try:
            replay_spool(runtime)
        except Exception as exc:  # noqa: BLE001 - the sweep tries again
            log.warning("spool replay failed (%s)", type(exc).__name__)
        finally:
            _replaying.release()

    threading.Thread(target=run, name="spool-replay", daemon=True).start()


def replay_spool(runtime: Runtime) -> int:
    """Store and queue every message the spool holds (the sweeper calls it; `receive_or_spool` too)."""
    return spool.replay(runtime, accept)
