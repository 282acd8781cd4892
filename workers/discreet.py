"""Discreet contacts' Telegram chats: the job that deletes one message from its chat (scheduled by
`workers.schedule.schedule_delete` at its time)."""

from __future__ import annotations

from gateway.core.runtime import process_runtime
from gateway.directory.discreet import delete


def delete_message(message_id: int) -> str:
    """RQ job: delete one message from a discreet contact's chat (claimed, so the Bot API is called once)."""
    return delete(process_runtime(), message_id)
