"""The gateway's RQ worker stops promptly: stopping never waits a minute on the thread that listens to the worker's
command channel."""

from __future__ import annotations

import time

from rq.serializers import JSONSerializer

from workers.queues import QUEUES, queue
from workers.worker import PromptStopWorker


def test_a_stopping_worker_never_waits_on_its_command_channel(runtime):
    """RQ's teardown unsubscribes, then stops the listening thread, which redis-py 8 waits for. If that thread has
    already read the end of the subscription, it waits for a new one for its whole wake-up period (60 s in RQ):
    every stop, and every burst run of the tests, could take a minute. The gateway's worker and the tests' workers
    (`PromptStopWorker`) wake every second."""
    worker = PromptStopWorker([queue(runtime.redis, name) for name in QUEUES], connection=runtime.redis,
                           serializer=JSONSerializer)  # fmt: skip
    worker.subscribe()
    deadline = time.monotonic() + 5
    while not worker.pubsub.subscribed and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.pubsub.unsubscribe()
    time.sleep(0.3)  # the thread reads the unsubscription and goes back to waiting (the race, made certain)
    worker.pubsub_thread._running.clear()  # what stop() does before it waits for the thread
    worker.pubsub_thread.join(timeout=5)
    stuck = worker.pubsub_thread.is_alive()
    worker.pubsub.close()
    assert not stuck, "the command channel's thread still waits: a worker's stop would hang"
