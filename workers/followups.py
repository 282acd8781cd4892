"""Follow-up jobs: ask an alert's reporter how things stand; scheduled by id, safe to run twice."""

from __future__ import annotations

from datetime import datetime

import redis

from gateway.runtime import process_runtime
from workers.queues import QUEUE_BULK, schedule_job


def ask_job_id(followup_id: int, seq: int) -> str:
    """One job id per question."""
    return f"followup-{followup_id}-{seq}"


def schedule_ask(connection: redis.Redis, followup_id: int, seq: int, when: datetime | None) -> bool:
    """Have RQ's scheduler ask question `seq` at `when` (now when None)."""
    job_id = ask_job_id(followup_id, seq)
    return schedule_job(connection, QUEUE_BULK, job_id, when, "workers.followups.ask_followup", followup_id, seq)


def ask_followup(followup_id: int, seq: int) -> str:
    """RQ job: send one follow-up question (claimed, so it is sent once)."""
    from gateway.followups import ask

    return ask(process_runtime(), followup_id, seq)
