"""Inbound messages: stored (deduplicated on the provider's id) before the webhook answers, then handled.

Storing and handling are two steps on purpose: the message is kept even if handling fails. A webhook only stores
(one statement) and, after that commit, hands the id to the workers, which queue one job
`workers.inbound.handle_message` on the urgent queue (`accept`, `workers.intake`); the job handles the sender's
messages one at a time, oldest first (`handle`). `receive` stores and handles inline, for the terminal simulator.
Whatever was stored but not handled (Redis down at hand-over, a job lost or always busy) is handled by the
sweeper's `process_pending` after `OUTBOX_STALE_SECONDS`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bots.base import InboundMessage
from bots.callgate import CODE as CALLGATE
from flows.conversations import ContactBusy
from gateway.calls.callback import handle_call_event
from gateway.core import failfast
from gateway.core.privacy import mask_address
from gateway.core.runtime import Runtime
from gateway.directory import discreet
from gateway.media.records import add_items
from gateway.media.store import media_store
from gateway.messaging import albums
from gateway.models import Contact, Direction, Message, MessageStatus, utcnow
from workers import intake
from workers.queues import enqueue_media

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Receipt:
    """The stored message's id, and whether this delivery was a replay of one already stored."""

    message_id: int
    duplicate: bool
    media_ids: tuple[int, ...] = ()  # the files to fetch once the message is committed


def find_contact(session, channel_kind: str, address: str) -> Contact | None:
    """The directory contact behind an address (phone or Telegram id), active ones only."""
    if channel_kind == "telegram":
        if not address.isdigit():
            return None
        query = select(Contact).where(Contact.telegram_id == int(address))
    else:
        query = select(Contact).where(Contact.phone == address)
    return session.scalars(query.where(Contact.active.is_(True))).first()


def _insert_once(dialect: str):
    """`INSERT … ON CONFLICT (channel, provider_id) DO NOTHING RETURNING id` for the database's dialect."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = Message.__table__
    statement = insert(table).on_conflict_do_nothing(index_elements=[table.c.channel, table.c.provider_id])
    return statement.returning(table.c.id)


def store(runtime: Runtime, inbound: InboundMessage, address_kind: str = "phone") -> Receipt:
    """Store an inbound message once per provider id (with a row per file it carries); a replay returns the first
    one's id.

    The webhook's whole database work: one Core statement, deduplicated by the unique (channel, provider_id) key
    (the ORM and an IntegrityError round trip cost three times as much). The sender is looked up in the directory
    by the handling job, which had to re-match senders anyway (`_handle_one`)."""
    now = utcnow()
    row = {
        "direction": Direction.IN.value,
        "channel": inbound.channel,
        "contact_id": None,
        "address": inbound.address,
        "provider_id": inbound.provider_id,
        "body": inbound.text,
        "meta": _meta(inbound),
        "media_group": inbound.media_group,
        "status": MessageStatus.RECEIVED.value,
        "priority": "urgent",
        "kind": "inbound",
        "attempts": 0,
        "resends": 0,
        "created_at": now,
        "updated_at": now,
    }
    media_ids: list[int] = []
    engine = runtime.db.engine
    with engine.begin() as connection:
        message_id = connection.execute(_insert_once(engine.dialect.name), row).scalar()
        duplicate = message_id is None
        if duplicate:
            message_id = connection.scalar(
                select(Message.id).where(Message.channel == inbound.channel, Message.provider_id == inbound.provider_id)
            )
        elif inbound.media:  # in the same transaction: a message is never kept without its files' rows
            with Session(bind=connection) as session:
                store_ = media_store(runtime.settings)
                media_ids = add_items(session, message_id, inbound.media, store_, runtime.settings.media_max_bytes)
    if message_id is None:  # a conflict, yet no row: let the caller answer 5xx so the provider retries
        raise RuntimeError(f"{inbound.channel} message neither stored nor found")
    if duplicate:
        log.info("replayed %s message %s ignored", inbound.channel, message_id)
    else:
        log.info("stored %s message %s from %s", inbound.channel, message_id, mask_address(inbound.address))
    return Receipt(message_id, duplicate=duplicate, media_ids=tuple(media_ids))


def _meta(inbound: InboundMessage) -> str | None:
    """The message's extras as JSON, with the kinds of its files (what the flows see of them)."""
    meta = dict(inbound.extra)
    if inbound.media:
        meta["media"] = [ref.kind for ref in inbound.media]
    return json.dumps(meta) if meta else None


def handle(runtime: Runtime, message_id: int) -> int:
    """Handle a stored inbound message under its sender's lock, after every older unhandled one of the same
    sender (oldest first, an album's captioned item first; one transaction each); the number handled, 0 when it was
    already handled."""
    with runtime.db.transaction() as session:
        row = session.execute(
            select(Message.address, Message.contact_id, Message.processed_at).where(Message.id == message_id)
        ).first()
        if row is None or row.address is None or row.processed_at is not None:
            return 0
        # contact_id is indexed (address is not): it narrows the search to this sender's rows, including those
        # stored before the sender was known (linked or added to the directory meanwhile).
        unknown = Message.contact_id.is_(None)
        sender = unknown if row.contact_id is None else or_(Message.contact_id == row.contact_id, unknown)
        rows = session.execute(
            select(Message.id, Message.media_group)
            .where(sender, Message.address == row.address)
            .where(Message.direction == Direction.IN, Message.processed_at.is_(None), Message.id <= message_id)
            .order_by(Message.id)
        ).all()
        ids = albums.handling_order(session, row.address, rows)
    with runtime.conversations.contact_lock(row.address):
        return sum(_handle_one(runtime, one) for one in ids)


def _handle_one(runtime: Runtime, message_id: int) -> bool:
    """Flows, records and replies of one message, in one transaction; False if it was handled meanwhile."""
    from flows.router import route_message

    with runtime.db.transaction() as session:
        message = session.get(Message, message_id, with_for_update=True)
        if message is None or message.processed_at is not None:
            return False
        if message.contact_id is None:  # the webhook stores without looking the sender up
            kind = "telegram" if message.channel == "telegram" else "phone"
            contact = find_contact(session, kind, message.address)
        else:
            contact = session.get(Contact, message.contact_id)
        if message.channel == CALLGATE:  # a call event, not words: it may complete a missed call
            handle_call_event(session, runtime, message, contact)
        elif albums.join(session, message) is not None:  # one more photo of an album already answered
            discreet.mark_inbound(session, runtime, message, contact)
        else:
            route_message(session, runtime, message, contact)
            discreet.mark_inbound(session, runtime, message, contact)
        # Linked last, with the mark of its handling: a write here at the start would take SQLite's one write lock
        # for the whole handling, and hold up every webhook's insert meanwhile. A flow that identified the sender
        # (a Telegram account linking itself) has linked the message already.
        if message.contact_id is None and contact is not None:
            message.contact_id = contact.id
        message.processed_at = utcnow()
    return True


def receive(runtime: Runtime, inbound: InboundMessage, address_kind: str = "phone") -> Receipt:
    """Store, then handle inline (the terminal simulator; webhooks use `accept`). Handling errors are logged and
    left to the sweeper: the message is already safe."""
    receipt = store(runtime, inbound, address_kind)
    try:
        handle(runtime, receipt.message_id)
    except ContactBusy:
        log.warning("message %s waits: its sender's previous message is still being handled", receipt.message_id)
    except Exception as exc:  # noqa: BLE001 - stored already; process_pending retries it
        log.error("message %s stored but not handled yet (%s)", receipt.message_id, type(exc).__name__, exc_info=True)
    return receipt


def accept(runtime: Runtime, inbound: InboundMessage, address_kind: str = "phone") -> Receipt:
    """Store, then (after that commit) queue the job that handles it; a replay queues nothing. When Redis cannot
    take the job the message is still stored, and the sweeper handles it later."""
    receipt = store(runtime, inbound, address_kind)
    if not receipt.duplicate:
        queue_handling(runtime, receipt.message_id)
        queue_media(runtime, receipt.media_ids)
    return receipt


def queue_media(runtime: Runtime, media_ids: tuple[int, ...]) -> None:
    """Queue the jobs that keep a stored message's files; on failure the sweeper's `media_sweep` queues them."""
    if not media_ids or (runtime.web and failfast.REDIS.is_open()):
        return
    try:
        for media_id in media_ids:
            enqueue_media(runtime.redis, media_id)
    except Exception as exc:  # noqa: BLE001 - the rows are stored: the sweep queues them later
        if runtime.web:
            failfast.REDIS.trip()
        log.error("media of a stored message not queued (%s)", type(exc).__name__)


def queue_handling(runtime: Runtime, message_id: int) -> None:
    """Hand a stored message to the workers, which queue the job that handles it (`workers.intake`); on failure
    (or, in the web process, while Redis has just failed) leave it to the sweeper's `process_pending`."""
    if runtime.web and failfast.REDIS.is_open():
        log.info("message %s stored; Redis failed moments ago, the sweep will queue its handling", message_id)
        return
    try:
        intake.push(runtime.redis, message_id)
    except Exception as exc:  # noqa: BLE001 - stored already; process_pending handles it
        if runtime.web:
            failfast.REDIS.trip()
        log.error("message %s stored; its handling job not queued (%s)", message_id, type(exc).__name__)


def process_pending(runtime: Runtime, older_than_seconds: int, limit: int = 200) -> int:
    """Handle inbound messages stored but never processed (a crash or an outage between the two steps)."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    with runtime.db.transaction() as session:
        ids = session.scalars(
            select(Message.id)
            .where(Message.direction == Direction.IN, Message.processed_at.is_(None), Message.created_at < cutoff)
            .order_by(Message.id)
            .limit(limit)
        ).all()
    done = 0
    for message_id in ids:
        try:
            done += handle(runtime, message_id)
        except Exception as exc:  # noqa: BLE001 - try the next one; this one is retried next sweep
            log.error("pending message %s still not handled (%s)", message_id, type(exc).__name__)
    return done
