"""Discreet contacts' Telegram chats: the job that deletes one message from its chat, scheduled by id at its time."""

from __future__ import annotations

from datetime import datetime

import redis

from gateway.models import utcnow
from workers.queues import QUEUE_BULK, schedule_job


def delete_job_id(message_id: int, due: datetime) -> str:
    """One job id per message and due time (a retry is due later, so it is a new job)."""
    return f"discreet-delete-{message_id}-{int(due.timestamp())}"


def schedule_delete(connection: redis.Redis, message_id: int, due: datetime) -> bool:
    """Have RQ delete the message from its chat at `due` (at once when that is past); False if already pending."""
    when = due if due > utcnow() else None
    job_id = delete_job_id(message_id, due)
    return schedule_job(connection, QUEUE_BULK, job_id, when, "workers.discreet.delete_message", message_id)


def delete_message(message_id: int) -> str:
    """RQ job: delete one message from a discreet contact's chat (claimed, so the Bot API is called once)."""
    from gateway.discreet import delete
    from gateway.runtime import process_runtime

    return delete(process_runtime(), message_id)
