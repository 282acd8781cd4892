"""The transactional outbox: an outbound message is a row written with the record that caused it.

The queue only ever carries the row's id, and only after the transaction committed. If Redis is down at
that moment, the row simply waits as `queued` until the sweeper (workers.sweeper) enqueues it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from bots.base import AddressKind, Button
from gateway.core.db import on_commit, transaction_bag
from gateway.core.privacy import mask_address
from gateway.core.runtime import Runtime
from gateway.directory.discreet import pending_delete_at
from gateway.messaging.quiet_hours import hold_until
from gateway.messaging.routing import (
    NO_SMS_CHANNEL,
    NO_SMS_CHANNEL_ERROR,
    SMS_UNREACHABLE_ERROR,
    route_for,
    sms_barred,
    sms_route,
    telegram_reachable,
)
from gateway.messaging.sms_text import to_gsm7
from gateway.models import FALLBACK_KINDS, QUIET_KINDS, Contact, Direction, Message, MessageStatus, Priority, utcnow
from workers.queues import enqueue_new

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
    buttons: tuple[Button, ...] = (),
    flush: bool = True,
    hold: str | None = None,
    broadcast_id: int | None = None,
) -> Message:
    """Add an outbound message to the session's transaction; it is enqueued once that transaction commits.

    Either a directory `contact` (its channel is chosen by routing) or an explicit `channel` and `address`
    (for answering a number that is not in the directory) must be given. Broadcasts pass `flush=False`: their
    rows are then inserted together at the commit, and enqueued together right after it. With `hold` (the
    reason, e.g. `rate_limited`) the row is written `held`: kept as a record, never enqueued nor swept, never sent.
    A contact's number that the provider reported unreachable (`sms_barred`) gets no SMS: the row is stored failed.

    An SMS that no channel can carry (`NO_SMS_CHANNEL`) is stored failed, never enqueued; when routing chose SMS
    for a contact, an important kind goes to their Telegram instead (an explicit channel means the caller already
    covers the other channels, as the escalation notices and `fall_back_to_sms` do).
    """
    routed = contact is not None and channel is None
    if routed:
        channel, address = route_for(contact, runtime.settings, runtime.channels)
    if channel is None or address is None:
        raise ValueError("an outbound message needs a contact, or a channel and an address")
    if channel == NO_SMS_CHANNEL:
        failed = _no_sms_channel(session, runtime, contact, address, body, priority, kind, buttons, fall_back=routed)
        failed.broadcast_id = broadcast_id
        return failed
    adapter = runtime.channels.get(channel)
    if adapter is not None and adapter.address_kind == AddressKind.PHONE:
        body = to_gsm7(body)  # French stays in 160-character GSM-7 segments
    held_until, delay = _quiet_hold(runtime, kind)
    message = Message(
        contact=contact, **_row(channel, address, body, priority, kind, _encode_buttons(buttons), held_until)
    )
    message.broadcast_id = broadcast_id
    if routed and sms_barred(contact, channel):
        message.status, message.error_code, message.next_attempt_at = MessageStatus.FAILED, SMS_UNREACHABLE_ERROR, None
        session.add(message)
        session.flush()
        log.info("%s to %s not sent: the number refuses SMS", kind, mask_address(address))
        return message
    if hold is not None:
        message.status, message.error_code, message.next_attempt_at = MessageStatus.HELD, hold, None
    message.delete_at = pending_delete_at(runtime, contact, channel, kind)  # discreet contacts' Telegram chats
    session.add(message)
    if flush:
        session.flush()  # the caller may want the id now
    if hold is not None:
        log.info("%s reply held (%s) for %s", kind, hold, mask_address(address))
        return message
    _batch(session, runtime).append((message, delay))
    return message


@dataclass(frozen=True)
class BroadcastItem:
    """One recipient of a broadcast: the contact, the text in their language, and its answer buttons."""

    contact: Contact
    body: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class QueuedRow:
    """An outbox row inserted without the ORM: what its after-commit enqueue needs."""

    id: int
    priority: str


def queue_broadcast(
    session: Session,
    runtime: Runtime,
    items: list[BroadcastItem],
    *,
    priority: str,
    kind: str,
    broadcast_id: int | None = None,
) -> list[tuple[str, str]]:
    """Add one outbound message per item in a single bulk INSERT; they are enqueued together after the commit.

    The same rules as `queue_message` (routing, GSM-7 texts, quiet hours, no SMS channel), without building an ORM
    object per recipient: a notice to 10,000 leaders is a handful of statements. Returns each queued row's
    (channel, body); rows failed for want of an SMS channel, or to a number that refuses SMS, are stored but not
    returned. Every row carries `broadcast_id`, so that its delivery can be followed."""
    if not items:
        return []
    held_until, delay = _quiet_hold(runtime, kind)
    gsm: dict[str, str] = {}  # a broadcast has a few distinct texts (one per language): convert each once
    encoded: dict[tuple[Button, ...], str | None] = {}
    rows = []
    for item in items:
        channel, address = route_for(item.contact, runtime.settings, runtime.channels)
        if channel == NO_SMS_CHANNEL:
            if item.buttons not in encoded:
                encoded[item.buttons] = _encode_buttons(item.buttons)
            if item.body not in gsm:
                gsm[item.body] = to_gsm7(item.body)
            failed = _row(channel, address, gsm[item.body], priority, kind, encoded[item.buttons], None)
            rows.append({**failed, **_NO_SMS_FAILURE, "contact_id": item.contact.id})
            if kind not in FALLBACK_KINDS or not telegram_reachable(item.contact, runtime.channels):
                continue
            channel, address = "telegram", str(item.contact.telegram_id)
        if sms_barred(item.contact, channel):
            if item.body not in gsm:
                gsm[item.body] = to_gsm7(item.body)
            barred = _row(channel, address, gsm[item.body], priority, kind, None, None)
            rows.append({**barred, **_UNREACHABLE_FAILURE, "contact_id": item.contact.id})
            continue
        adapter = runtime.channels.get(channel)
        body = item.body
        if adapter is not None and adapter.address_kind == AddressKind.PHONE:
            if body not in gsm:
                gsm[body] = to_gsm7(body)
            body = gsm[body]
        if item.buttons not in encoded:
            encoded[item.buttons] = _encode_buttons(item.buttons)
        row = _row(channel, address, body, priority, kind, encoded[item.buttons], held_until)
        rows.append({**row, "error_code": None, "contact_id": item.contact.id})  # every row has the same keys
    rows = [{**row, "broadcast_id": broadcast_id} for row in rows]
    ids = _insert_rows(session, rows)
    queued = [
        (row, message_id) for row, message_id in zip(rows, ids, strict=True) if row["status"] == MessageStatus.QUEUED
    ]
    if len(queued) < len(rows):
        log.warning(
            "%s messages of a broadcast not sent: no SMS channel, or numbers refusing SMS", len(rows) - len(queued)
        )
    _batch(session, runtime).extend((QueuedRow(message_id, priority), delay) for _, message_id in queued)
    return [(row["channel"], row["body"]) for row, _ in queued]


# The columns of an SMS row that no channel can carry: failed at once, with a reason staff can read.
_NO_SMS_FAILURE = {"status": MessageStatus.FAILED, "error_code": NO_SMS_CHANNEL_ERROR, "next_attempt_at": None}
_UNREACHABLE_FAILURE = {"status": MessageStatus.FAILED, "error_code": SMS_UNREACHABLE_ERROR, "next_attempt_at": None}


def _no_sms_channel(session, runtime, contact, address, body, priority, kind, buttons, *, fall_back: bool) -> Message:
    """Store an SMS that nothing can carry as failed (never enqueued, never `sent`); an important message routed
    to SMS goes to the contact's Telegram instead when they have it. Returns the failed row."""
    # Stored as the SMS would have gone (GSM-7), so that `fall_back_to_sms` recognises it and adds no second row.
    row = _row(NO_SMS_CHANNEL, address, to_gsm7(body), priority, kind, _encode_buttons(buttons), None)
    message = Message(contact=contact, **{**row, **_NO_SMS_FAILURE})
    session.add(message)
    session.flush()
    log.warning("message %s to %s failed: no SMS channel", message.id, mask_address(address))
    if fall_back and kind in FALLBACK_KINDS and telegram_reachable(contact, runtime.channels):
        queue_message(
            session,
            runtime,
            body=body,
            contact=contact,
            channel="telegram",
            address=str(contact.telegram_id),
            priority=priority,
            kind=kind,
            buttons=buttons,
        )
    return message


def _quiet_hold(runtime: Runtime, kind: str) -> tuple[datetime | None, float]:
    """When a message of this kind queued now may go (None: at once), and the seconds until then."""
    if kind not in QUIET_KINDS:
        return None, 0.0
    now = utcnow()
    opening = hold_until(runtime.settings, now)
    return (None, 0.0) if opening is None else (opening, (opening - now).total_seconds())


def _row(channel, address, body, priority, kind, buttons_json, held_until) -> dict:
    """The column values of a new outbox row (held until the quiet hours end when `held_until` is set)."""
    return dict(
        direction=Direction.OUT,
        channel=channel,
        address=address,
        body=body,
        status=MessageStatus.QUEUED,
        priority=priority,
        kind=kind,
        attempts=0,
        buttons=buttons_json,
        next_attempt_at=held_until,
    )


def _insert_rows(session: Session, rows: list[dict]) -> list[int]:
    """Insert outbox rows in bulk; their ids, in order.

    PostgreSQL: ids are taken from the table's sequence first, then the rows go in as one pipelined executemany.
    An `INSERT … RETURNING` of thousands of rows is one huge statement per thousand rows, which psycopg re-parses
    every time (too large for its statement cache): 2.3 s of a 10,000-row notice's 2.7 s (bench/RESULTS.md)."""
    if session.get_bind().dialect.name != "postgresql":
        return list(session.scalars(insert(Message).returning(Message.id, sort_by_parameter_order=True), rows))
    ids = list(session.scalars(_NEXT_MESSAGE_IDS, {"n": len(rows)}))
    session.execute(insert(Message), [{**row, "id": message_id} for row, message_id in zip(rows, ids, strict=True)])
    return ids


_NEXT_MESSAGE_IDS = text(
    f"SELECT nextval(pg_get_serial_sequence('{Message.__tablename__}', 'id')) FROM generate_series(1, :n)"
)


def _encode_buttons(buttons: tuple[Button, ...]) -> str | None:
    """The buttons as stored on the row (JSON), or None."""
    return json.dumps([b.to_list() for b in buttons], ensure_ascii=False) if buttons else None


def _batch(session: Session, runtime: Runtime) -> list[tuple[Message | QueuedRow, float]]:
    """This transaction's new outbox rows, enqueued in one go once it commits (ids are known by then)."""

    def create() -> list[tuple[Message | QueuedRow, float]]:
        rows: list[tuple[Message | QueuedRow, float]] = []
        connection = runtime.redis
        on_commit(session, lambda: enqueue_new(connection, [(m.id, m.priority, d) for m, d in rows]))
        return rows

    return transaction_bag(session, "outbox", create)


def fall_back_to_sms(session: Session, runtime: Runtime, failed: Message) -> Message | None:
    """Send an important message again by SMS when its channel could not deliver it (e.g. bot blocked)."""
    if failed.kind not in FALLBACK_KINDS or failed.contact_id is None:
        return None
    contact = session.get(Contact, failed.contact_id)
    sms = sms_route(runtime.settings, runtime.channels)
    if contact is None or contact.sms_unreachable or failed.channel == sms:
        return None
    already = session.scalar(
        select(Message.id).where(
            Message.direction == Direction.OUT,
            Message.contact_id == contact.id,
            Message.channel == sms,
            Message.body == to_gsm7(failed.body or ""),
            Message.created_at >= failed.created_at - timedelta(minutes=5),
        )
    )
    if already is not None:
        return None  # the same text already went by SMS (urgent notices go on every channel at once)
    log.info("message %s falls back to SMS as message for contact %s", failed.id, contact.id)
    return queue_message(
        session,
        runtime,
        body=failed.body or "",
        contact=contact,
        channel=sms,
        address=contact.phone,
        priority=failed.priority,
        kind=failed.kind,
    )
