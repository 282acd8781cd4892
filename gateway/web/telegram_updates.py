"""One path for Telegram updates, whether they come by webhook or by long polling: stored, handled by a job."""

from __future__ import annotations

import logging

from bots.base import InboundMessage
from bots.telegram_updates import TelegramUpdate
from gateway.core import failfast
from gateway.core.runtime import Runtime
from gateway.messaging.receiving import receive_or_spool
from workers.queues import QUEUE_URGENT, queue

log = logging.getLogger(__name__)


def handle_update(runtime: Runtime, update: TelegramUpdate) -> None:
    """Store a polled update (deduplicated on update_id) and queue its handling, as the webhook does."""
    if not update.handled:
        return
    message = update.to_inbound()
    receipt = receive_or_spool(runtime, message, address_kind="telegram")
    if receipt is None or not receipt.duplicate:  # a replay was answered the first time
        queue_callback_answer(runtime, message)


def queue_callback_answer(runtime: Runtime, message: InboundMessage) -> None:
    """Answer a pressed button right away (its own job, queued now: Telegram only accepts an answer for a few
    seconds) so it stops spinning; nothing for a message that is not a button press."""
    if not message.callback_id:
        return
    if runtime.web and failfast.REDIS.is_open():
        log.warning("button press %s not answered: Redis failed moments ago", message.provider_id)
        return
    try:
        queue(runtime.redis, QUEUE_URGENT).enqueue(
            "workers.telegram.answer_callback",
            message.callback_id,
            job_id=f"callback-{message.provider_id}",
            result_ttl=0,
            failure_ttl=3600,
            job_timeout=30,
        )
    except Exception as exc:  # noqa: BLE001 - best effort; the press itself is stored and will be handled
        if runtime.web:
            failfast.REDIS.trip()
        log.warning("button press %s not answered (%s)", message.provider_id, type(exc).__name__)
