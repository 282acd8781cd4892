"""Meeting jobs: a reminder or tally firing at its due time; scheduled by id, safe to run twice."""

from __future__ import annotations

from datetime import datetime

import redis
from rq.exceptions import DuplicateJobError

from gateway.runtime import process_runtime
from workers.queues import QUEUE_BULK, RESULT_TTL, job_is_pending, queue


def reminder_job_id(reminder_id: int) -> str:
    """One job id per reminder row."""
    return f"meeting-reminder-{reminder_id}"


def schedule_reminder(connection: redis.Redis, reminder_id: int, when: datetime | None) -> bool:
    """Have RQ's scheduler fire a meeting reminder at `when` (now when None), on the bulk queue."""
    job_id = reminder_job_id(reminder_id)
    if job_is_pending(connection, job_id):
        return False
    q = queue(connection, QUEUE_BULK)
    options = dict(job_id=job_id, unique=True, result_ttl=RESULT_TTL, job_timeout=120)
    try:
        if when is None:
            q.enqueue("workers.meetings.send_meeting_reminder", reminder_id, **options)
        else:
            q.enqueue_at(when, "workers.meetings.send_meeting_reminder", reminder_id, **options)
    except DuplicateJobError:
        return False
    return True


def send_meeting_reminder(reminder_id: int) -> str:
    """RQ job: send one meeting reminder or tally (claimed, so it is sent once)."""
    from gateway.meetings.reminders import fire

    return fire(process_runtime(), reminder_id)
