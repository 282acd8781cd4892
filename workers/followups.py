"""Follow-up jobs: ask an alert's reporter how things stand; scheduled by id, safe to run twice."""

from __future__ import annotations

from datetime import datetime

import redis
from rq.exceptions import DuplicateJobError

from gateway.runtime import process_runtime
from workers.queues import QUEUE_BULK, RESULT_TTL, job_is_pending, queue


def ask_job_id(followup_id: int, seq: int) -> str:
    """One job id per question."""
    return f"followup-{followup_id}-{seq}"


def schedule_ask(connection: redis.Redis, followup_id: int, seq: int, when: datetime | None) -> bool:
    """Have RQ's scheduler ask question `seq` at `when` (now when None)."""
    job_id = ask_job_id(followup_id, seq)
    if job_is_pending(connection, job_id):
        return False
    q = queue(connection, QUEUE_BULK)
    options = dict(job_id=job_id, unique=True, result_ttl=RESULT_TTL, job_timeout=60)
    try:
        if when is None:
            q.enqueue("workers.followups.ask_followup", followup_id, seq, **options)
        else:
            q.enqueue_at(when, "workers.followups.ask_followup", followup_id, seq, **options)
    except DuplicateJobError:
        return False
    return True


def ask_followup(followup_id: int, seq: int) -> str:
    """RQ job: send one follow-up question (claimed, so it is sent once)."""
    from gateway.followups import ask

    return ask(process_runtime(), followup_id, seq)
