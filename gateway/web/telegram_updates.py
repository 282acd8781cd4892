"""One path for Telegram updates, whether they come by webhook or by long polling: stored, handled by a job."""

from __future__ import annotations

import logging

from bots.telegram import TelegramUpdate
from gateway.core.runtime import Runtime
from gateway.messaging.inbox import receive_or_spool
from workers.queues import QUEUE_URGENT, queue

log = logging.getLogger(__name__)


def handle_update(runtime: Runtime, update: TelegramUpdate) -> None:
    """Store an update (deduplicated on update_id) and queue its handling; answer a pressed button right away
    (its own job, queued now: Telegram only accepts an answer for a few seconds) so it stops spinning."""
    if not update.handled:
        return
    receipt = receive_or_spool(runtime, update.to_inbound(), address_kind="telegram")
    if update.callback_id and (receipt is None or not receipt.duplicate):  # a replay was answered the first time
        try:
            queue(runtime.redis, QUEUE_URGENT).enqueue(
                "workers.telegram.answer_callback",
                update.callback_id,
                job_id=f"callback-{update.update_id}",
                result_ttl=0,
                failure_ttl=3600,
                job_timeout=30,
            )
        except Exception as exc:  # noqa: BLE001 - best effort; the press itself is stored and will be handled
            log.warning("button press %s not answered (%s)", update.update_id, type(exc).__name__)
