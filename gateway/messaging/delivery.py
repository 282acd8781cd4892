"""Delivery reports: a message's status only moves forward, and permanent errors mark the contact."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from bots.base import Channel, StatusUpdate
from gateway.core.db import on_commit
from gateway.core.runtime import Runtime
from gateway.models import STATUS_RANK, Contact, Direction, Message, MessageStatus, utcnow
from workers.queues import enqueue_send
from workers.schedule import backoff_seconds

log = logging.getLogger(__name__)


def apply_status(runtime: Runtime, channel: Channel, update: StatusUpdate) -> bool:
    """Record a provider's status for one of our messages; False when it is unknown or would move backwards."""
    with runtime.db.transaction() as session:
        query = select(Message).where(Message.direction == Direction.OUT, Message.channel == update.channel)
        if update.message_id is not None:
            query = query.where(Message.id == update.message_id)
        else:
            query = query.where(Message.provider_id == update.provider_id)
        message = session.scalars(query.with_for_update()).first()
        if message is None:
            log.info("status report for an unknown %s message ignored", update.channel)
            return False
        if update.provider_id and not message.provider_id:
            message.provider_id = update.provider_id  # the callback can beat the send job's own write
        new = MessageStatus(update.status)
        if STATUS_RANK.get(new, -1) <= STATUS_RANK.get(MessageStatus(message.status), -1):
            return False  # late or repeated report: changes nothing, not even the error code
        if (
            new is MessageStatus.FAILED
            and channel.error_outcome(update.error_code) == "retry"
            and message.status == MessageStatus.SENT
            and message.attempts < runtime.settings.send_max_attempts
        ):
            retry_later(session, runtime, message, update.error_code)
            return True
        if update.error_code:
            message.error_code = update.error_code[:40]
            if channel.error_outcome(update.error_code) == "unreachable" and message.contact_id:
                mark_unreachable(session.get(Contact, message.contact_id), channel, update.error_code)
        message.status = new
        if new is MessageStatus.DELIVERED:
            message.delivered_at = utcnow()
        log.info("message %s is now %s", message.id, new.value)
        return True


def mark_unreachable(contact: Contact | None, channel: Channel | None, reason: str | None = None) -> None:
    """A contact cannot be reached on this kind of channel any more (unsubscribed number, blocked bot); `reason` is
    the provider's code, kept so that staff can read why (Twilio 21610: the number sent STOP to Twilio)."""
    if contact is None or channel is None:
        return
    reason = (reason or "unreachable")[:40]
    if channel.address_kind == "telegram":
        contact.telegram_unreachable, contact.telegram_unreachable_reason = True, reason
    else:
        contact.sms_unreachable, contact.sms_unreachable_reason = True, reason


def retry_later(session, runtime: Runtime, message: Message, error_code: str | None) -> None:
    """The provider accepted the message but could not deliver it for now (no signal): send it again later."""
    delay = backoff_seconds(message.attempts, None, runtime.settings.retry_backoff_seconds)
    message.status, message.error_code = MessageStatus.QUEUED, error_code
    message.resends = (message.resends or 0) + 1
    message.next_attempt_at = utcnow() + timedelta(seconds=delay)
    message_id, priority, attempt, connection = message.id, message.priority, message.attempts, runtime.redis
    on_commit(session, lambda: enqueue_send(connection, message_id, priority, attempt, delay=delay))
    log.warning("message %s: the provider could not deliver it (%s); retry in %.0fs", message.id, error_code, delay)
