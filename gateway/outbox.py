"""The transactional outbox: an outbound message is a row written with the record that caused it.

The queue only ever carries the row's id, and only after the transaction committed. If Redis is down at
that moment, the row simply waits as `queued` until the sweeper (workers.sweeper) enqueues it.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from bots.base import AddressKind
from gateway.db import on_commit
from gateway.models import Contact, Direction, Message, MessageStatus, Priority
from gateway.routing import route_for
from gateway.runtime import Runtime
from gateway.sms_text import to_gsm7
from workers.queues import enqueue_send

log = logging.getLogger(__name__)


def queue_message(
    session: Session,
    runtime: Runtime,
    *,
    body: str,
    contact: Contact | None = None,
    channel: str | None = None,
    address: str | None = None,
    priority: str = Priority.URGENT,
    kind: str = "reply",
) -> Message:
    """Add an outbound message to the session's transaction; it is enqueued once that transaction commits.

    Either a directory `contact` (its channel is chosen by routing) or an explicit `channel` and `address`
    (for answering a number that is not in the directory) must be given.
    """
    if contact is not None and channel is None:
        channel, address = route_for(contact, runtime.settings, runtime.channels)
    if channel is None or address is None:
        raise ValueError("an outbound message needs a contact, or a channel and an address")
    adapter = runtime.channels.get(channel)
    if adapter is not None and adapter.address_kind == AddressKind.PHONE:
        body = to_gsm7(body)  # French stays in 160-character GSM-7 segments
    message = Message(
        direction=Direction.OUT,
        channel=channel,
        contact=contact,
        address=address,
        body=body,
        status=MessageStatus.QUEUED,
        priority=priority,
        kind=kind,
        attempts=0,
    )
    session.add(message)
    session.flush()  # assigns the id the job will carry
    message_id, connection = message.id, runtime.redis
    on_commit(session, lambda: enqueue_send(connection, message_id, priority, attempt=0))
    return message
