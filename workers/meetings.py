"""Meeting jobs: a reminder or tally firing at its due time; scheduled by id, safe to run twice."""

from __future__ import annotations

from datetime import datetime

import redis

from gateway.runtime import process_runtime
from workers.queues import QUEUE_BULK, schedule_job


def reminder_job_id(reminder_id: int) -> str:
    """One job id per reminder row."""
    return f"meeting-reminder-{reminder_id}"


def schedule_reminder(connection: redis.Redis, reminder_id: int, when: datetime | None) -> bool:
    """Have RQ's scheduler fire a meeting reminder at `when` (now when None), on the bulk queue."""
    job_id = reminder_job_id(reminder_id)
    func = "workers.meetings.send_meeting_reminder"
    return schedule_job(connection, QUEUE_BULK, job_id, when, func, reminder_id, timeout=120)


def send_meeting_reminder(reminder_id: int) -> str:
    """RQ job: send one meeting reminder or tally (claimed, so it is sent once)."""
    from gateway.meetings.reminders import fire

    return fire(process_runtime(), reminder_id)
