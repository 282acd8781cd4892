"""One path for Telegram updates, whether they come by webhook or by long polling."""

from __future__ import annotations

from bots.telegram import TelegramUpdate
from gateway.inbox import receive_or_spool
from gateway.runtime import Runtime
from workers.queues import QUEUE_URGENT, queue


def handle_update(runtime: Runtime, update: TelegramUpdate) -> None:
    """Store and handle an update (deduplicated on update_id); answer a pressed button so it stops spinning."""
    if not update.handled:
        return
    receipt = receive_or_spool(runtime, update.to_inbound(), address_kind="telegram")
    if update.callback_id and (receipt is None or not receipt.duplicate):  # a replay was answered the first time
        queue(runtime.redis, QUEUE_URGENT).enqueue(
            "workers.telegram.answer_callback",
            update.callback_id,
            job_id=f"callback-{update.update_id}",
            result_ttl=0,
            failure_ttl=3600,
            job_timeout=30,
        )
