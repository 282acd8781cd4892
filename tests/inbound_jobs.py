"""Run the inbound handling jobs a webhook queued: webhooks only store and hand the id over, a worker handles.

`handle_queued(runtime)` runs them in this process through a real RQ `SimpleWorker` (`PromptStopWorker`: same
serializer, same retries as `gateway worker`), in queue order; other jobs on the urgent queue (sends, button
answers) stay queued, so tests still see replies as `queued` outbox rows."""

from __future__ import annotations

from rq.serializers import JSONSerializer

from workers.intake import move
from workers.queues import QUEUE_BULK, QUEUE_URGENT, queue
from workers.worker import PromptStopWorker


def handle_job_ids(runtime) -> list[str]:
    """Ids of the handling jobs waiting on the urgent queue, oldest first (after queueing those the intake holds, as
    a worker's intake thread would)."""
    move(runtime.redis)
    return [job_id for job_id in queue(runtime.redis, QUEUE_URGENT).get_job_ids() if job_id.startswith("handle-")]


def handle_queued(runtime, reverse: bool = False) -> int:
    """Run every queued handling job (newest first with `reverse`); the number run."""
    urgent = queue(runtime.redis, QUEUE_URGENT)
    worker = PromptStopWorker([urgent], connection=runtime.redis, serializer=JSONSerializer)
    job_ids = handle_job_ids(runtime)
    for job_id in reversed(job_ids) if reverse else job_ids:
        job = urgent.fetch_job(job_id)
        urgent.remove(job_id)
        worker.execute_job(job, urgent)
    return len(job_ids)


def media_job_ids(runtime) -> list[str]:
    """Ids of the media jobs waiting on the bulk queue, oldest first."""
    return [job_id for job_id in queue(runtime.redis, QUEUE_BULK).get_job_ids() if job_id.startswith("media-")]


def run_media_jobs(runtime) -> int:
    """Run every queued media job (fetch, check, keep) in this process, as `gateway worker` would; the number run."""
    bulk = queue(runtime.redis, QUEUE_BULK)
    worker = PromptStopWorker([bulk], connection=runtime.redis, serializer=JSONSerializer)
    job_ids = media_job_ids(runtime)
    for job_id in job_ids:
        job = bulk.fetch_job(job_id)
        bulk.remove(job_id)
        worker.execute_job(job, bulk)
    return len(job_ids)
