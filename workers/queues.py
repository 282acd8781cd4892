"""Queue names, Redis key prefixes and the one way jobs are put on queues (after the commit, by id)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

log = logging.getLogger(__name__)

# Queues, listed in the order a worker serves them: urgent work never waits behind a broadcast.
QUEUE_URGENT = "gateway-urgent"
QUEUE_BULK = "gateway-bulk"
QUEUES = (QUEUE_URGENT, QUEUE_BULK)

# Every Redis key the gateway writes (besides RQ's own `rq:` keys) starts with this prefix.
KEY_PREFIX = "gw:"
SWEEP_LOCK_KEY = KEY_PREFIX + "lock:sweep"
CONVERSATION_KEY = KEY_PREFIX + "conv:"
CONTACT_LOCK_KEY = KEY_PREFIX + "lock:contact:"
PACE_KEY = KEY_PREFIX + "pace:"
LAST_SWEEP_KEY = KEY_PREFIX + "sweep:last"  # epoch seconds of the last finished sweep (`gateway status`, /metrics)

# Job policy: explicit timeouts, and RQ retries for crashes (provider errors are retried by the sender itself,
# which honours Retry-After; see workers.outbound).
SEND_JOB_TIMEOUT = 60
SEND_CRASH_RETRY = Retry(max=3, interval=[5, 30, 120])
HANDLE_JOB_TIMEOUT = 60
HANDLE_CRASH_RETRY = Retry(max=3, interval=[5, 30, 120])
# Seconds before a handling job tries again when its sender's lock stays busy; after the last, the sweeper's
# `process_pending` handles the message (it is stored, so never lost).
HANDLE_BUSY_DELAYS = (2, 10, 30)
RESULT_TTL = 0  # a finished job leaves nothing behind; the database row is the record
ENQUEUE_BATCH = 500
# A broadcast's rows travel in jobs of this many ids (RQ's per-job bookkeeping dominated a one-row job); a batch
# stops after half a job timeout and hands the rest to a new job. Small sets (replies) keep one job per row.
SEND_BATCH_SIZE = 100
SEND_BATCH_FROM = 20
SEND_BATCH_FUNC = "workers.outbound.send_batch"
HANDLE_FUNC = "workers.inbound.handle_message"
FAILURE_TTL = 7 * 24 * 3600


def queue(connection: redis.Redis, name: str) -> Queue:
    """An RQ queue using JSON serialization (jobs carry ids, never objects)."""
    return Queue(name, connection=connection, serializer=JSONSerializer, default_timeout=SEND_JOB_TIMEOUT)


def queue_for(priority: str) -> str:
    """The queue name for a message priority."""
    return QUEUE_BULK if priority == "bulk" else QUEUE_URGENT


def send_job_id(message_id: int, attempt: int, wait: str = "") -> str:
    """Deterministic job id for one attempt at sending one message, so a row is never enqueued twice at once
    (`wait` distinguishes the turns a paced message waits for its channel within one attempt)."""
    return f"send-{message_id}-{attempt}{'-' + wait if wait else ''}"


def send_batch_job_id(message_ids: list[int]) -> str:
    """Deterministic job id for one batch of a broadcast's rows."""
    return f"send-batch-{message_ids[0]}-{message_ids[-1]}-{len(message_ids)}"


def handle_job_id(message_id: int, attempt: int = 0) -> str:
    """Deterministic job id for handling one stored inbound message (`attempt` > 0: a turn after a busy lock)."""
    return f"handle-{message_id}{f'-{attempt}' if attempt else ''}"


def enqueue_handle(connection: redis.Redis, message_id: int, attempt: int = 0, delay: float = 0) -> bool:
    """Queue the handling of a stored inbound message on the urgent queue; False when it is already pending."""
    options = dict(retry=HANDLE_CRASH_RETRY, failure_ttl=FAILURE_TTL, timeout=HANDLE_JOB_TIMEOUT)
    when = datetime.now(UTC) + timedelta(seconds=delay) if delay > 0 else None
    job_id = handle_job_id(message_id, attempt)
    return schedule_job(connection, QUEUE_URGENT, job_id, when, HANDLE_FUNC, message_id, attempt,
                        **options)  # fmt: skip


MEDIA_JOB_TIMEOUT = 180  # a 20 MB file over a slow link
MEDIA_CRASH_RETRY = Retry(max=3, interval=[10, 60, 300])
MEDIA_FUNC = "workers.media.fetch_media"


def media_job_id(media_id: int, attempt: int = 0) -> str:
    """Deterministic job id for keeping one media file (`attempt` > 0: a try after the provider failed)."""
    return f"media-{media_id}{f'-{attempt}' if attempt else ''}"


def enqueue_media(connection: redis.Redis, media_id: int, attempt: int = 0, delay: float = 0) -> bool:
    """Queue the job that fetches, checks and keeps one media file; False when it is already pending. On the bulk
    queue: a download must never hold up the handling of messages and the alerts' pages."""
    options = dict(retry=MEDIA_CRASH_RETRY, failure_ttl=FAILURE_TTL, timeout=MEDIA_JOB_TIMEOUT)
    when = datetime.now(UTC) + timedelta(seconds=delay) if delay > 0 else None
    return schedule_job(connection, QUEUE_BULK, media_job_id(media_id, attempt), when, MEDIA_FUNC, media_id, attempt,
                        **options)  # fmt: skip


PENDING_STATUSES = (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED)


def job_is_pending(connection: redis.Redis, job_id: str) -> bool:
    """True when a job with this id is waiting, scheduled or running."""
    try:
        job = Job.fetch(job_id, connection=connection, serializer=JSONSerializer)
    except Exception:  # noqa: BLE001 - NoSuchJobError, or a half-written job after a flush
        return False
    return job.get_status(refresh=False) in PENDING_STATUSES


def pending_job_ids(connection: redis.Redis, job_ids: list[str]) -> set[str]:
    """Which of these jobs are waiting, scheduled or running: one pipelined round trip for all of them (the sweep
    checks hundreds of rows; a fetch per job made every sweep of a backlog take seconds)."""
    with connection.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.hget(Job.key_for(job_id), "status")
        statuses = pipe.execute()
    alive = {status.value for status in PENDING_STATUSES}
    return {job_id for job_id, raw in zip(job_ids, statuses, strict=True) if raw and raw.decode() in alive}


def enqueue_send(
    connection: redis.Redis, message_id: int, priority: str, attempt: int, delay: float = 0, wait: str = ""
) -> bool:
    """Queue one attempt at sending a message; False when that attempt is already queued."""
    options = dict(retry=SEND_CRASH_RETRY, failure_ttl=FAILURE_TTL, timeout=SEND_JOB_TIMEOUT)
    when = datetime.now(UTC) + timedelta(seconds=delay) if delay > 0 else None
    job_id = send_job_id(message_id, attempt, wait)
    return schedule_job(connection, queue_for(priority), job_id, when, "workers.outbound.send_message", message_id,
                        **options)  # fmt: skip


def enqueue_new(connection: redis.Redis, items: list[tuple[int, str, float]]) -> None:
    """Enqueue the first attempt of freshly committed outbox rows: (id, priority, delay). Immediate ones go in
    pipelined batches (a broadcast of 10,000 is a few round trips), and a broadcast's rows in jobs of
    `SEND_BATCH_SIZE`, also when the quiet hours hold them (one scheduled job per batch, not per row)."""
    groups: dict[tuple[str, float], list[int]] = {}
    for message_id, priority, delay in items:
        groups.setdefault((priority, max(delay, 0.0)), []).append(message_id)
    for (priority, delay), ids in groups.items():
        name = queue_for(priority)
        if len(ids) >= SEND_BATCH_FROM:
            chunks = [ids[start : start + SEND_BATCH_SIZE] for start in range(0, len(ids), SEND_BATCH_SIZE)]
            if delay > 0:
                for chunk in chunks:
                    enqueue_batch(connection, chunk, name, delay=delay)
                continue
            datas = [_job_data(SEND_BATCH_FUNC, (chunk, name), send_batch_job_id(chunk)) for chunk in chunks]
        elif delay > 0:
            for message_id in ids:
                enqueue_send(connection, message_id, priority, 0, delay=delay)
            continue
        else:
            datas = [_job_data("workers.outbound.send_message", (i,), send_job_id(i, 0)) for i in ids]
        q = queue(connection, name)
        for start in range(0, len(datas), ENQUEUE_BATCH):
            with connection.pipeline() as pipe:
                q.enqueue_many(datas[start : start + ENQUEUE_BATCH], pipeline=pipe)
                pipe.execute()


def enqueue_batch(connection: redis.Redis, message_ids: list[int], queue_name: str, delay: float = 0) -> bool:
    """Queue one batch of a broadcast's rows (now, or after `delay` seconds); False if already queued."""
    when = datetime.now(UTC) + timedelta(seconds=delay) if delay > 0 else None
    job_id = send_batch_job_id(message_ids)
    options = dict(retry=SEND_CRASH_RETRY, failure_ttl=FAILURE_TTL, timeout=SEND_JOB_TIMEOUT)
    return schedule_job(connection, queue_name, job_id, when, SEND_BATCH_FUNC, message_ids, queue_name, **options)


def _job_data(func: str, args: tuple, job_id: str):
    """One job of a pipelined `enqueue_many`, with the send jobs' policy."""
    return Queue.prepare_data(
        func,
        args,
        job_id=job_id,
        timeout=SEND_JOB_TIMEOUT,
        result_ttl=RESULT_TTL,
        failure_ttl=FAILURE_TTL,
        retry=SEND_CRASH_RETRY,
    )


def schedule_job(
    connection: redis.Redis,
    queue_name: str,
    job_id: str,
    when,
    func: str,
    *args,
    timeout: int = 60,
    retry: Retry | None = None,
    failure_ttl: int | None = None,
) -> bool:
    """Enqueue a job by id, at `when` through RQ's scheduler (now when None); False if already pending.

    `unique` makes the enqueue atomic and refuses an id already stored: one round trip when all is well. A stored
    job that is only history (finished, failed) is removed and the enqueue tried once more."""
    q = queue(connection, queue_name)
    options = dict(job_id=job_id, unique=True, result_ttl=RESULT_TTL, job_timeout=timeout, retry=retry)
    if failure_ttl is not None:
        options["failure_ttl"] = failure_ttl
    for _ in range(2):
        try:
            if when is None:
                q.enqueue(func, *args, **options)
            else:
                q.enqueue_at(when, func, *args, **options)
            return True
        except DuplicateJobError:
            if job_is_pending(connection, job_id):
                return False
            try:
                Job.fetch(job_id, connection=connection, serializer=JSONSerializer).delete()
            except Exception:  # noqa: BLE001 - gone meanwhile
                pass
    return False
