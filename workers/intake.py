"""The intake: ids of inbound messages just stored, turned into handling jobs by the workers.

A webhook's last step is one `RPUSH` of the stored message's id (`push`), not an RQ enqueue: RQ builds a job object
and runs a uniqueness script, which cost a webhook more CPU than its database insert (bench/RESULTS.md). Each
worker process runs a thread (`IntakeThread`) that waits on the list and enqueues the handling job with RQ's usual
policy (retries, timeout, deterministic id). The id of a message is popped before its job exists: if the worker
dies in between, the message is still stored unhandled and the sweeper's `process_pending` handles it after
`OUTBOX_STALE_SECONDS`; a job queued twice for one message finds it handled and does nothing.
"""

from __future__ import annotations

import logging
import threading

import redis

from workers.queues import KEY_PREFIX, enqueue_handle

log = logging.getLogger(__name__)

INTAKE_KEY = KEY_PREFIX + "inbound:new"
# How long the thread's blocking pop waits before looking again (and noticing it should stop); below the worker
# connection's socket timeout, which allows the dequeue's own blocking wait.
WAIT_SECONDS = 5
# After a Redis failure, the thread tries again after this long (the sweep covers what waits meanwhile).
RETRY_SECONDS = 2.0
BATCH = 100


def push(connection: redis.Redis, message_id: int) -> None:
    """Hand a stored message's id to the workers: one round trip."""
    connection.rpush(INTAKE_KEY, message_id)


def waiting(connection: redis.Redis) -> int:
    """How many stored messages wait for a worker to queue their handling."""
    return int(connection.llen(INTAKE_KEY))


def _queue_all(connection: redis.Redis, raw_ids: list) -> int:
    for raw in raw_ids:
        try:
            message_id = int(raw)
        except (TypeError, ValueError):
            log.warning("intake: an entry that is not a message id was dropped")
            continue
        enqueue_handle(connection, message_id)
    return len(raw_ids)


def move(connection: redis.Redis, limit: int = 10_000) -> int:
    """Queue the handling of every id waiting now (up to `limit`), without waiting; the number taken."""
    taken = 0
    while taken < limit:
        raw_ids = connection.lpop(INTAKE_KEY, min(BATCH, limit - taken))
        if not raw_ids:
            break
        taken += _queue_all(connection, raw_ids)
    return taken


class IntakeThread(threading.Thread):
    """A worker's thread that turns the intake's ids into handling jobs as they arrive."""

    def __init__(self, connection: redis.Redis) -> None:
        """Not started yet; a daemon, so that it never holds the worker's exit."""
        super().__init__(name="intake", daemon=True)
        self.connection = connection
        self.stopping = threading.Event()

    def run(self) -> None:
        """Wait for ids and queue their jobs until asked to stop; a Redis failure is logged and waited out."""
        while not self.stopping.is_set():
            try:
                popped = self.connection.blpop([INTAKE_KEY], timeout=WAIT_SECONDS)
                if popped is not None:
                    _queue_all(self.connection, [popped[1]])
                    move(self.connection, limit=BATCH)
            except Exception as exc:  # noqa: BLE001 - never dies: the sweep covers what waits meanwhile
                log.warning("intake: Redis did not answer (%s); trying again", type(exc).__name__)
                self.stopping.wait(RETRY_SECONDS)

    def stop(self) -> None:
        """Ask the thread to stop after its current wait."""
        self.stopping.set()
