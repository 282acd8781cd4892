"""Discreet mode for leaders at risk: `DISCRET` / `DISCRET NON` by message (or the directory's `discreet` column),
neutral texts (the catalogue's `.discreet` variants), and on Telegram the clean-up of their chat: the leader's
messages and the bot's are deleted `DISCREET_DELETE_SECONDS` after they were received or sent.

A deletion is claimed like an outbox row (its `delete_at` pushed on by a lease, so a job run twice, or a worker
that dies, deletes once); a message gone or too old to delete (the Bot API allows 48 h) is marked `deleted_at`
with the reason in `error_code`; transient errors try again later."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bots.base import SendOutcome, SendResult
from flows.keywords import Match
from gateway.core.db import on_commit
from gateway.core.runtime import Runtime
from gateway.models import Contact, Direction, Message, MessageKind, MessageStatus, utcnow
from workers.schedule import schedule_delete

log = logging.getLogger(__name__)

TELEGRAM = "telegram"
# The Bot API lets a bot delete both sides of a private chat for 48 hours; past that it is not even tried.
DELETE_LIMIT = timedelta(hours=48)
RETRY_SECONDS = 60  # after a transient error (a provider's retry_after wins when longer)
LEASE_SECONDS = 120  # a claimed deletion whose worker died is tried again after this
EARLY_SECONDS = 2  # RQ's scheduler keeps whole seconds: a job may start this early
# Meeting notices and reminders stay in the chat: the leader needs them, and they tell nothing of a report.
KEPT_KINDS = frozenset({MessageKind.MEETING_NOTICE, MessageKind.MEETING_REMINDER})


def on_setting(inbound, match: Match) -> None:
    """DISCRET (on) / DISCRET NON (off): the confirmation says nothing of what the setting is for. Turning it on
    also cleans up what the Telegram chat still shows of the last two days."""
    contact = inbound.contact
    contact.discreet = match.intent == "discreet_on"
    inbound.reply("discreet.on" if contact.discreet else "discreet.off")
    if contact.discreet:
        clean_up_recent(inbound.session, inbound.runtime, contact)


def pending_delete_at(runtime: Runtime, contact: Contact | None, channel: str, kind: str) -> datetime | None:
    """For a new outbound row: a provisional deletion time when it goes into a discreet contact's Telegram chat
    (the real one is set when the message is sent: `sent`), else None."""
    if contact is None or not contact.discreet or channel != TELEGRAM or kind in KEPT_KINDS:
        return None
    return utcnow() + timedelta(seconds=runtime.settings.discreet_delete_seconds)


def sent(session: Session, runtime: Runtime, message_id: int, now: datetime) -> datetime:
    """A message just sent into a discreet chat: its deletion time, counted from now; its job is scheduled once
    the caller's transaction commits."""
    when = now + timedelta(seconds=runtime.settings.discreet_delete_seconds)
    connection = runtime.redis
    on_commit(session, lambda: schedule_delete(connection, message_id, when))
    return when


def mark_inbound(session: Session, runtime: Runtime, message: Message, contact: Contact | None) -> None:
    """After handling: a discreet contact's Telegram message is deleted from the chat after the delay."""
    if contact is None or not contact.discreet or message.channel != TELEGRAM or message.deleted_at is not None:
        return
    if chat_message_id(message) is None:  # a button press: nothing of the leader's in the chat
        return
    due(session, runtime, message, utcnow() + timedelta(seconds=runtime.settings.discreet_delete_seconds))


def due(session: Session, runtime: Runtime, message: Message, when: datetime) -> None:
    """Set a message's deletion time and schedule its job once the transaction commits."""
    message.delete_at = when
    session.flush()
    message_id, connection = message.id, runtime.redis
    on_commit(session, lambda: schedule_delete(connection, message_id, when))


def clean_up_recent(session: Session, runtime: Runtime, contact: Contact) -> int:
    """Schedule the deletion of what the contact's Telegram chat still holds (received or sent within 48 h)."""
    now = utcnow()
    rows = session.scalars(
        select(Message)
        .where(Message.contact_id == contact.id, Message.channel == TELEGRAM)
        .where(Message.delete_at.is_(None), Message.deleted_at.is_(None))
        .where(Message.created_at > now - DELETE_LIMIT + timedelta(hours=1))
        .where(Message.kind.not_in(KEPT_KINDS))
    ).all()
    when = now + timedelta(seconds=runtime.settings.discreet_delete_seconds)
    count = 0
    for row in rows:
        if row.direction == Direction.OUT and row.status in (MessageStatus.QUEUED, MessageStatus.SENDING):
            row.delete_at = when  # provisional: the send sets the real time and schedules the job
        elif chat_message_id(row) is not None:
            due(session, runtime, row, when)
            count += 1
    return count


def chat_message_id(message: Message) -> int | None:
    """The message's id in the Telegram chat: the leader's from the update, the bot's from the send."""
    if message.direction == Direction.IN:
        value = json.loads(message.meta).get("chat_message_id") if message.meta else None
        return value if isinstance(value, int) else None
    _, _, tail = (message.provider_id or "").rpartition(":")
    return int(tail) if tail.isdigit() else None


def delete(runtime: Runtime, message_id: int, now: datetime | None = None) -> str:
    """Delete one due message from its chat, once; returns what happened (for the job's log)."""
    now = now or utcnow()
    with runtime.db.transaction() as session:
        row = session.scalars(
            update(Message)
            .where(Message.id == message_id, Message.deleted_at.is_(None))
            .where(Message.delete_at <= now + timedelta(seconds=EARLY_SECONDS))
            .values(delete_at=now + timedelta(seconds=LEASE_SECONDS))
            .returning(Message),
            execution_options={"synchronize_session": False},
        ).one_or_none()
    if row is None:
        return "skipped"
    if row.direction == Direction.OUT and row.status in (MessageStatus.QUEUED, MessageStatus.SENDING):
        # Held (quiet hours, a provider's Retry-After): look again once it may have gone; its send sets the real
        # time and schedules the job itself.
        later = max(now, row.next_attempt_at or now) + timedelta(seconds=runtime.settings.discreet_delete_seconds)
        with runtime.db.transaction() as session:
            session.execute(update(Message).where(Message.id == row.id).values(delete_at=later))
        return "not sent yet"
    result = _attempt(runtime, row, now)
    return _record(runtime, row.id, result, now)


def _attempt(runtime: Runtime, row: Message, now: datetime) -> SendResult:
    """Ask the channel to delete the message, unless it never reached the chat or is past the Bot API's limit."""
    target = chat_message_id(row)
    if (row.direction == Direction.OUT and row.status == MessageStatus.FAILED) or target is None:
        return SendResult(SendOutcome.FAILED, error_code="delete:not_in_chat")
    if now - (row.sent_at or row.created_at) >= DELETE_LIMIT:
        return SendResult(SendOutcome.FAILED, error_code="delete:too_old")
    channel = runtime.channels.get(row.channel)
    if channel is None:  # the channel is switched off for now: try again until the limit
        return SendResult(SendOutcome.RETRY, error_code="delete:channel_off")
    try:
        return channel.delete(row.address or "", target)
    except Exception as exc:  # noqa: BLE001 - an adapter bug must not lose the deletion
        log.error("channel %s raised %s deleting message %s", row.channel, type(exc).__name__, row.id)
        return SendResult(SendOutcome.RETRY, error_code=f"exception:{type(exc).__name__}"[:40])


def _record(runtime: Runtime, message_id: int, result: SendResult, now: datetime) -> str:
    """Deleted, or given up on with the reason, or due again later."""
    with runtime.db.transaction() as session:
        row = session.get(Message, message_id, with_for_update=True)
        if result.outcome is SendOutcome.RETRY:
            wait = max(RETRY_SECONDS, result.retry_after or 0)
            log.warning("message %s: deletion failed for now (%s), again in %ss", row.id, result.error_code, wait)
            due(session, runtime, row, now + timedelta(seconds=wait))
            return "retry"
        row.deleted_at = now
        if result.outcome is not SendOutcome.SENT:
            row.error_code = result.error_code
            log.info("message %s: not deleted from its chat (%s)", row.id, result.error_code)
            return "given up"
    log.info("message %s deleted from its chat", message_id)
    return "deleted"


def overdue(session: Session, now: datetime) -> list[tuple[int, datetime]]:
    """(id, delete_at) of deletions that are due but whose job was lost (Redis flushed, a worker killed)."""
    rows = session.execute(
        select(Message.id, Message.delete_at)
        .where(Message.deleted_at.is_(None), Message.delete_at < now - timedelta(seconds=EARLY_SECONDS))
        .order_by(Message.delete_at)
        .limit(500)
    )
    return [(row.id, row.delete_at) for row in rows]


def reschedule_overdue(runtime: Runtime, now: datetime) -> int:
    """Queue every overdue chat deletion again (the sweeper's entry point)."""
    with runtime.db.transaction() as session:
        due = overdue(session, now)
    return sum(schedule_delete(runtime.redis, message_id, delete_at) for message_id, delete_at in due)
