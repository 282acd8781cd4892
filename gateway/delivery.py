"""Delivery reports: a message's status only moves forward, and permanent errors mark the contact."""

from __future__ import annotations

import logging

from sqlalchemy import select

from bots.base import Channel, StatusUpdate
from gateway.models import STATUS_RANK, Contact, Direction, Message, MessageStatus, utcnow
from gateway.runtime import Runtime

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
        if update.error_code:
            message.error_code = update.error_code
            if channel.error_outcome(update.error_code) == "unreachable" and message.contact_id:
                mark_unreachable(session.get(Contact, message.contact_id), channel)
        message.status = new
        if new is MessageStatus.DELIVERED:
            message.delivered_at = utcnow()
        log.info("message %s is now %s", message.id, new.value)
        return True


def mark_unreachable(contact: Contact | None, channel: Channel | None) -> None:
    """A contact cannot be reached on this kind of channel any more (unsubscribed number, blocked bot)."""
    if contact is None or channel is None:
        return
    if channel.address_kind == "telegram":
        contact.telegram_unreachable = True
    else:
        contact.sms_unreachable = True
