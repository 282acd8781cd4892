"""The inbound handling job: flows, records and replies of a stored message, after its webhook has answered."""

from __future__ import annotations

import logging

from flows.conversations import ContactBusy
from gateway.core.runtime import process_runtime
from gateway.messaging.inbox import handle
from workers.queues import HANDLE_BUSY_DELAYS, enqueue_handle

log = logging.getLogger(__name__)


def handle_message(message_id: int, attempt: int = 0) -> str:
    """RQ job: handle the message after its sender's older ones, under the sender's lock; safe to run twice."""
    runtime = process_runtime()
    try:
        handled = handle(runtime, message_id)
    except ContactBusy:
        if attempt < len(HANDLE_BUSY_DELAYS):
            enqueue_handle(runtime.redis, message_id, attempt + 1, delay=HANDLE_BUSY_DELAYS[attempt])
            log.info("message %s: sender busy, handling again in %ss", message_id, HANDLE_BUSY_DELAYS[attempt])
        else:
            log.warning("message %s: sender still busy; left to the sweeper", message_id)
        return "busy"
    return f"{handled} handled"
