"""The gateway's RQ worker stops promptly: stopping never waits a minute on the thread that listens to the worker's
command channel, and a stop requested during the outbox sweep is obeyed."""

from __future__ import annotations

import time

import pytest
from rq.exceptions import StopRequested
from rq.serializers import JSONSerializer

import workers.worker as worker_module
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


def test_a_stop_requested_during_the_sweep_stops_the_worker(runtime, monkeypatch):
    """SIGTERM during the outbox sweep: RQ's signal handler raises StopRequested inside the sweep. The worker must let
    it through to RQ's loop (which then stops); swallowed as a failed sweep, the worker kept serving until a second
    signal cold-killed it (seen as a traceback and a 15 s hang when `gateway run` was stopped)."""

    def interrupted(_runtime):
        raise StopRequested()

    monkeypatch.setattr(worker_module, "sweep_once", interrupted)
    monkeypatch.setattr(worker_module.GatewayWorker, "gateway_runtime", runtime)
    worker = worker_module.GatewayWorker([queue(runtime.redis, name) for name in QUEUES], connection=runtime.redis,
                                         serializer=JSONSerializer)  # fmt: skip
    with pytest.raises(StopRequested):
        worker.run_maintenance_tasks()


def test_a_failed_sweep_is_logged_and_the_worker_keeps_serving(runtime, monkeypatch, caplog):
    """Any other error of a sweep is retried next tick: the worker goes on."""

    def broken(_runtime):
        raise RuntimeError("database locked")

    monkeypatch.setattr(worker_module, "sweep_once", broken)
    monkeypatch.setattr(worker_module.GatewayWorker, "gateway_runtime", runtime)
    worker = worker_module.GatewayWorker([queue(runtime.redis, name) for name in QUEUES], connection=runtime.redis,
                                         serializer=JSONSerializer)  # fmt: skip
    worker.run_maintenance_tasks()
    assert "sweep failed; will retry" in caplog.text


def test_a_hung_redis_outside_the_dequeue_does_not_end_the_worker(runtime, monkeypatch, caplog):
    """RQ retries a Redis timeout in its dequeue but quits its loop on one anywhere else (state, heartbeat,
    suspension check, registry cleaning): a Redis frozen longer than the socket timeout took the worker down for good
    (fault case 10). Those steps now wait for Redis; the sweep still runs."""
    import socket

    import redis

    from gateway.core.redis_server import client_options

    swept = []
    monkeypatch.setattr(worker_module, "sweep_once", swept.append)
    monkeypatch.setattr(worker_module.GatewayWorker, "gateway_runtime", runtime)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # accepts, never answers: a SIGSTOPped Redis
        frozen = redis.Redis(host="127.0.0.1", port=silent.getsockname()[1], **client_options(web=True))
        worker = worker_module.GatewayWorker([queue(frozen, name) for name in QUEUES], connection=runtime.redis,
                                             serializer=JSONSerializer)  # fmt: skip
        worker.connection = frozen  # started on a live Redis, which then froze
        worker.set_state("idle")
        worker.heartbeat()
        worker.check_for_suspension(burst=False)
        worker.run_maintenance_tasks()
        frozen.close()
    assert swept == [runtime], "the sweep ran after RQ's maintenance failed"
    for step in ("state not recorded", "heartbeat missed", "waiting for it", "maintenance skipped"):
        assert step in caplog.text, f"{step}: not logged"


def test_the_next_sweep_is_due_an_interval_after_a_slow_sweep_ended(runtime, monkeypatch):
    """Under a backlog a sweep can outlast the interval; counted from its start, the worker swept again after every
    job and a backlog of 2,000 jobs drained at a few a second."""

    def slow(_runtime):
        time.sleep(1.5)

    monkeypatch.setattr(worker_module, "sweep_once", slow)
    monkeypatch.setattr(worker_module.GatewayWorker, "gateway_runtime", runtime)
    monkeypatch.setattr(worker_module.GatewayWorker, "sweep_interval", 1)
    worker = worker_module.GatewayWorker([queue(runtime.redis, name) for name in QUEUES], connection=runtime.redis,
                                         serializer=JSONSerializer)  # fmt: skip
    worker.run_maintenance_tasks()
    assert not worker.should_run_maintenance_tasks, "jobs get a whole interval before the next sweep"
