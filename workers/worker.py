"""The gateway's RQ worker: serves the urgent queue before the bulk one, runs RQ's scheduler, and sweeps."""

from __future__ import annotations

import logging
import os

import redis
from rq import SimpleWorker
from rq.exceptions import StopRequested
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer
from rq.utils import now

from gateway.core.redis_server import allow_blocking
from gateway.core.runtime import Runtime
from workers.intake import IntakeThread, move
from workers.queues import QUEUES, queue
from workers.sweeper import sweep_once

log = logging.getLogger(__name__)


class GatewayScheduler(RQScheduler):
    """RQ's scheduler, which stops when the worker that forked it is gone.

    RQ forks the scheduler into a child process; a worker killed with SIGKILL (the OOM killer, a supervisor's
    hard stop) would leave that child running, holding the scheduler lock, so the restarted worker could not
    take it over and nobody would notice a duplicate scheduler."""

    def work(self) -> None:
        """Remember the worker's pid, then run RQ's loop."""
        self._worker_pid = os.getppid()
        super().work()

    def heartbeat(self) -> None:
        """RQ's heartbeat, after asking to stop (releasing the locks) when the worker is gone."""
        if os.getppid() != getattr(self, "_worker_pid", os.getppid()):
            log.warning("scheduler: its worker is gone; stopping")
            self.request_stop()
        super().heartbeat()


COMMAND_CHANNEL_WAKE_SECONDS = 1


class PromptStopWorker(SimpleWorker):
    """RQ's SimpleWorker, except that it stops within a second (the gateway's worker, and every worker the tests
    run)."""

    def subscribe(self) -> None:
        """RQ's subscription to the worker's command channel, with the listening thread waking every second
        instead of every 60: redis-py 8 waits for that thread to finish when the worker stops, and a thread left
        waiting for a subscription that had just ended held every stop (every burst run too) for up to a minute."""
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=COMMAND_CHANNEL_WAKE_SECONDS, daemon=True, exception_handler=self._pubsub_exception_handler
        )


class GatewayWorker(PromptStopWorker):
    """An RQ worker whose maintenance tick also runs the gateway's sweeps.

    Jobs run in the worker process itself, not in a forked child: a send is a few milliseconds of work, and a
    fork per job (plus re-importing the provider clients in each child) cost ten times that (bench/RESULTS.md).
    Job timeouts still apply (SIGALRM); a worker killed mid-job strands at most one row in `sending`, which the
    sweeper re-queues."""

    gateway_runtime: Runtime | None = None
    sweep_interval = 15

    @property
    def dequeue_timeout(self) -> int:
        """Wake up at least every sweep interval, even when idle, so the sweeps keep their rhythm."""
        return self.sweep_interval

    @property
    def should_run_maintenance_tasks(self) -> bool:
        """Maintenance (RQ's and our sweeps) every sweep interval."""
        if self.last_cleaned_at is None:
            return True
        return (now() - self.last_cleaned_at).total_seconds() >= self.sweep_interval

    def _start_scheduler(self, burst=False, logging_level="INFO", date_format=None, log_format=None) -> None:
        """RQ's own start-up of the scheduler, with the orphan-safe `GatewayScheduler` in place of RQ's."""
        extra = {k: v for k, v in (("date_format", date_format), ("log_format", log_format)) if v is not None}
        self.scheduler = GatewayScheduler(
            self.queues, connection=self.connection, logging_level=logging_level, serializer=self.serializer, **extra
        )
        self.scheduler.acquire_locks()
        if not self.scheduler.acquired_locks:
            return
        if not burst:
            self.scheduler.start()
            return
        try:
            self.scheduler.register_birth()
            self.scheduler.enqueue_scheduled_jobs()
        finally:
            self.scheduler.release_locks()
            self.scheduler.register_death()

    # RQ quits its loop on a Redis timeout anywhere but in the dequeue (which it retries): a Redis that hangs for
    # longer than the socket timeout (SIGSTOP, a stalled disk) then took the worker down for good. These steps
    # wait for Redis instead, as the dequeue does; nothing is lost meanwhile, the next tick does them again.

    def check_for_suspension(self, burst: bool) -> None:
        """RQ's suspension check; a Redis that does not answer is not a suspension (the dequeue waits for it)."""
        try:
            super().check_for_suspension(burst)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            log.warning("worker: Redis did not answer (%s); waiting for it", type(exc).__name__)

    def set_state(self, state: str, pipeline=None) -> None:
        """RQ's worker state (shown by `rq info`); left as it was while Redis does not answer."""
        try:
            super().set_state(state, pipeline)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            log.warning("worker: state not recorded, Redis did not answer (%s)", type(exc).__name__)

    def heartbeat(self, *args, **kwargs) -> None:
        """RQ's heartbeat; missed while Redis does not answer."""
        try:
            super().heartbeat(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            log.warning("worker: heartbeat missed, Redis did not answer (%s)", type(exc).__name__)

    def run_maintenance_tasks(self) -> None:
        """RQ's own registry cleaning (and scheduler restart), then the outbox sweep."""
        try:
            super().run_maintenance_tasks()
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            log.warning("worker: maintenance skipped, Redis did not answer (%s)", type(exc).__name__)
        if self.gateway_runtime is not None:
            try:
                sweep_once(self.gateway_runtime)
            except StopRequested:
                # SIGTERM arrived during the sweep (RQ raises it from its signal handler): stop now, as RQ's own loop
                # does. Swallowed, the worker kept serving until the second signal's cold shut-down.
                raise
            except Exception:  # noqa: BLE001 - a failed sweep is retried next tick; the worker keeps serving
                log.warning("sweep failed; will retry", exc_info=True)
            finally:
                # The next tick counts from the sweep's end: under a backlog a sweep can outlast the interval, and
                # counted from its start the worker swept again after every single job.
                self.last_cleaned_at = now()


def run_worker(runtime: Runtime, burst: bool = False) -> bool:
    """Serve the gateway's queues until stopped (or, with `burst`, until they are empty)."""
    GatewayWorker.gateway_runtime = runtime
    GatewayWorker.sweep_interval = runtime.settings.sweep_interval_seconds
    # The dequeue blocks up to sweep_interval seconds: the connection's socket timeout must be longer (explicitly,
    # rather than trusting RQ to raise it).
    allow_blocking(runtime.redis, GatewayWorker.sweep_interval)
    worker = GatewayWorker(
        [queue(runtime.redis, name) for name in QUEUES],
        connection=runtime.redis,
        serializer=JSONSerializer,
        log_job_description=False,
    )
    log.info("worker %s serving %s", worker.name, ", ".join(QUEUES))
    try:
        move(runtime.redis)  # what webhooks handed over while no worker ran (Redis kept it)
    except (redis.ConnectionError, redis.TimeoutError) as exc:
        log.warning("worker: intake not read, Redis did not answer (%s)", type(exc).__name__)
    intake = None if burst else IntakeThread(runtime.redis)
    if intake is not None:
        intake.start()
    try:
        return worker.work(burst=burst, with_scheduler=True, logging_level=runtime.settings.log_level)
    finally:
        if intake is not None:
            intake.stop()
