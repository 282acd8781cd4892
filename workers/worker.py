"""The gateway's RQ worker: serves the urgent queue before the bulk one, runs RQ's scheduler, and sweeps."""

from __future__ import annotations

import logging

from rq import SimpleWorker
from rq.serializers import JSONSerializer

from gateway.runtime import Runtime
from workers.queues import QUEUES, queue
from workers.sweeper import sweep_once

log = logging.getLogger(__name__)


class GatewayWorker(SimpleWorker):
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
        from rq.utils import now

        return (now() - self.last_cleaned_at).total_seconds() >= self.sweep_interval

    def run_maintenance_tasks(self) -> None:
        """RQ's own registry cleaning, then the outbox sweep."""
        super().run_maintenance_tasks()
        if self.gateway_runtime is not None:
            try:
                sweep_once(self.gateway_runtime)
            except Exception:  # noqa: BLE001 - a failed sweep is retried next tick; the worker keeps serving
                log.warning("sweep failed; will retry", exc_info=True)


def run_worker(runtime: Runtime, burst: bool = False) -> bool:
    """Serve the gateway's queues until stopped (or, with `burst`, until they are empty)."""
    GatewayWorker.gateway_runtime = runtime
    GatewayWorker.sweep_interval = runtime.settings.sweep_interval_seconds
    worker = GatewayWorker(
        [queue(runtime.redis, name) for name in QUEUES],
        connection=runtime.redis,
        serializer=JSONSerializer,
        log_job_description=False,
    )
    log.info("worker %s serving %s", worker.name, ", ".join(QUEUES))
    return worker.work(burst=burst, with_scheduler=True, logging_level=runtime.settings.log_level)
