"""Messages in and out; outbound rows are the transactional outbox."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:  # only for annotations: the mapper finds classes by name at run time
    from gateway.models.directory import Contact


class Direction(StrEnum):
    """Whether a message came in from a contact or goes out to one."""

    IN = "in"
    OUT = "out"


class MessageStatus(StrEnum):
    """Lifecycle of a message; outbound statuses only ever move forward (see `STATUS_RANK`)."""

    RECEIVED = "received"  # inbound, stored before the webhook answered
    QUEUED = "queued"  # outbound, waiting in the outbox for a worker
    SENDING = "sending"  # a worker has claimed the row and is calling the provider
    SENT = "sent"  # the provider accepted it
    DELIVERED = "delivered"  # the provider reported delivery to the handset
    FAILED = "failed"  # permanently failed, or gave up after the last attempt
    HELD = "held"  # outbound, never sent: over the sender's reply limit or during a loop (see error_code)


STATUS_RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.FAILED: 3,
    MessageStatus.HELD: 3,  # final: nothing moves a held row
}


class MessageKind(StrEnum):
    """Why an outbound message exists; the kinds in `FALLBACK_KINDS` matter enough to fall back to SMS."""

    REPLY = "reply"
    ALERT_CONFIRMATION = "alert_confirmation"
    ALERT_UPDATE = "alert_update"  # an alert's reporter told it is handled or closed
    ESCALATION = "escalation"
    OFFICER_NOTICE = "officer_notice"  # a tension (severity 2) or a reminder to close: not urgent
    DESK_NOTICE = "desk_notice"  # the desk told of something to watch, e.g. a sender caught in a machine loop
    MEETING_NOTICE = "meeting_notice"
    MEETING_REMINDER = "meeting_reminder"
    TALLY = "tally"
    FOLLOWUP = "followup"
    TRIAGE_REMINDER = "triage_reminder"
    DIGEST = "digest"
    UNKNOWN_SENDER = "unknown_sender"
    IDENTIFY = "identify"
    BROADCAST = "broadcast"  # composed by staff in the console or the API
    PULSE = "pulse"  # the weekly service-return question to a leader
    PULSE_NEWS = "pulse_news"  # a service closed or back, told to the district's facilitators
    BULLETIN = "bulletin"  # the weekly bulletin (a document on Telegram, its summary by SMS)


FALLBACK_KINDS = frozenset(
    {
        MessageKind.ALERT_CONFIRMATION,
        MessageKind.ALERT_UPDATE,
        MessageKind.ESCALATION,
        MessageKind.OFFICER_NOTICE,
        MessageKind.MEETING_NOTICE,
        MessageKind.MEETING_REMINDER,
        MessageKind.FOLLOWUP,
        MessageKind.BULLETIN,  # a reader who blocked the bot still gets the summary
    }
)
# Non-urgent kinds held during QUIET_HOURS; escalations and direct replies to a leader are never held.
QUIET_KINDS = frozenset(
    {
        MessageKind.MEETING_NOTICE,
        MessageKind.MEETING_REMINDER,
        MessageKind.TALLY,
        MessageKind.FOLLOWUP,
        MessageKind.TRIAGE_REMINDER,
        MessageKind.DIGEST,
        MessageKind.OFFICER_NOTICE,
        MessageKind.DESK_NOTICE,
        MessageKind.BROADCAST,
        MessageKind.PULSE,
        MessageKind.PULSE_NEWS,
        MessageKind.BULLETIN,
    }
)


class Priority(StrEnum):
    """Which queue carries an outbound message: urgent work never waits behind a broadcast."""

    URGENT = "urgent"
    BULK = "bulk"


class Message(Base):
    """One message in or out. Outbound rows are the transactional outbox: the queue only carries their id."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("channel", "provider_id", name="uq_messages_channel_provider_id"),
        # A sender's unhandled messages (the handling job), and inbound messages never handled (every sweep):
        # without these, both read the whole table, whose outbound rows all have processed_at NULL.
        Index("ix_messages_address_processed_at", "address", "processed_at"),
        Index("ix_messages_direction_processed_at", "direction", "processed_at"),
        # The other items of a sender's album (gateway.messaging.albums).
        Index("ix_messages_address_media_group", "address", "media_group"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[str] = mapped_column(String(3))
    channel: Mapped[str] = mapped_column(String(20))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    # The sender's or recipient's address on the channel (E.164 phone or Telegram chat id); needed to answer
    # numbers that are not in the directory. Sensitive: never logged in full.
    address: Mapped[str | None] = mapped_column(String(40))
    provider_id: Mapped[str | None] = mapped_column(String(120))
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)
    priority: Mapped[str] = mapped_column(String(10), default=Priority.URGENT)
    kind: Mapped[str] = mapped_column(String(30), default="reply")
    error_code: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    resends: Mapped[int] = mapped_column(Integer, default=0)  # accepted, then reported undeliverable for now
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Indexed: the console's message log filters on dates, and retention purges by age.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # inbound: the flows have handled it
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)  # the alert it is part of
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id"), index=True)  # the mass sending
    # JSON: outbound reply buttons ([[label, data, kind], …]); inbound extras (shared location, callback id).
    buttons: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[str | None] = mapped_column(Text)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # body and meta redacted by retention
    # Telegram messages of discreet contacts: deleted from the chat after this time (bot and leader's both).
    delete_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Inbound: the album it is one item of (Telegram `media_group_id`); the album's items make one report.
    media_group: Mapped[str | None] = mapped_column(String(64))

    contact: Mapped[Contact | None] = relationship()
