"""The answer to a number outside the directory: it can report, learns nothing, commands nothing."""

from __future__ import annotations

from sqlalchemy.orm import Session

from flows import catalogue
from flows.conversations import address_key
from gateway.core.runtime import Runtime
from gateway.messaging import loop_guard
from gateway.messaging.loop_guard import LoopCheck
from gateway.messaging.outbox import queue_message
from gateway.models import Message, MessageKind, Priority
from workers.queues import KEY_PREFIX

UNKNOWN_SENDER_KEY = KEY_PREFIX + "unknown:"
UNKNOWN_SENDER_QUIET_SECONDS = 24 * 3600


def answer_unknown_sender(session: Session, runtime: Runtime, message: Message, check: LoopCheck) -> None:
    """A number that is not in the directory can report (its text becomes an untriaged report staff can see)
    but commands nothing and learns nothing: at most one neutral answer a day, without any reference, on the
    bulk queue (a stranger's flood never delays an alert), and none while it loops."""
    text = (message.body or "").strip()
    if text and not text.startswith("/"):
        loop_guard.report(session, None, message, check)
    if check.muted:
        return
    key = UNKNOWN_SENDER_KEY + address_key(f"{message.channel}:{message.address}")
    if not runtime.redis.set(key, "1", nx=True, ex=UNKNOWN_SENDER_QUIET_SECONDS):
        return
    queue_message(
        session,
        runtime,
        body=catalogue.text(catalogue.DEFAULT_LANGUAGE, "unknown_sender"),
        channel=message.channel,
        address=message.address,
        priority=Priority.BULK,
        kind=MessageKind.UNKNOWN_SENDER,
    )
