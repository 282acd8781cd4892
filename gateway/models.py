"""Database models: the directory (districts, contacts) and the messages table, which is also the outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Deterministic constraint names, so Alembic migrations behave the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the only time the database stores)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with the shared metadata."""

    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite forgets the zone, so it is put back on load)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Store every timestamp in UTC."""
        if value is not None:
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        """Return timestamps as aware UTC datetimes."""
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Role(StrEnum):
    """What a contact does in the dialogue frameworks."""

    LEADER = "leader"
    FACILITATOR = "facilitator"
    OFFICER = "officer"


class Language(StrEnum):
    """Languages of the message catalogues (bm and ff fall back to French until translated)."""

    FR = "fr"
    EN = "en"
    BM = "bm"
    FF = "ff"


class PreferredChannel(StrEnum):
    """The kind of channel a contact prefers; the deployment decides which provider carries it."""

    SMS = "sms"
    TELEGRAM = "telegram"


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


STATUS_RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.SENT: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.FAILED: 3,
}


class MessageKind(StrEnum):
    """Why an outbound message exists; the kinds in `FALLBACK_KINDS` matter enough to fall back to SMS."""

    REPLY = "reply"
    ALERT_CONFIRMATION = "alert_confirmation"
    ALERT_UPDATE = "alert_update"  # an alert's reporter told it is handled or closed
    ESCALATION = "escalation"
    MEETING_NOTICE = "meeting_notice"
    MEETING_REMINDER = "meeting_reminder"
    TALLY = "tally"
    FOLLOWUP = "followup"
    TRIAGE_REMINDER = "triage_reminder"
    DIGEST = "digest"
    UNKNOWN_SENDER = "unknown_sender"
    IDENTIFY = "identify"


FALLBACK_KINDS = frozenset(
    {
        MessageKind.ALERT_CONFIRMATION,
        MessageKind.ALERT_UPDATE,
        MessageKind.ESCALATION,
        MessageKind.MEETING_NOTICE,
        MessageKind.MEETING_REMINDER,
        MessageKind.FOLLOWUP,
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
    }
)


class Priority(StrEnum):
    """Which queue carries an outbound message: urgent work never waits behind a broadcast."""

    URGENT = "urgent"
    BULK = "bulk"


class District(Base):
    """A district (cercle) with its dialogue framework."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(120))

    contacts: Mapped[list[Contact]] = relationship(back_populates="district")


class Contact(Base):
    """A person of the directory: leader, facilitator or officer."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    role: Mapped[str] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(120))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    commune: Mapped[str | None] = mapped_column(String(120))
    village: Mapped[str | None] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(5), default=Language.FR)
    channel: Mapped[str] = mapped_column(String(20), default=PreferredChannel.SMS)
    escalation_level: Mapped[int | None] = mapped_column(Integer)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    sms_unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    telegram_unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    district: Mapped[District | None] = relationship(back_populates="contacts")


class Message(Base):
    """One message in or out. Outbound rows are the transactional outbox: the queue only carries their id."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("channel", "provider_id", name="uq_messages_channel_provider_id"),)

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
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # inbound: the flows have handled it
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)  # the alert it is part of
    # JSON: outbound reply buttons ([[label, data, kind], …]); inbound extras (shared location, callback id).
    buttons: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[str | None] = mapped_column(Text)

    contact: Mapped[Contact | None] = relationship()


class AlertStatus(StrEnum):
    """Where an alert stands."""

    NEW = "new"
    INCOMPLETE = "incomplete"  # the guided conversation stopped before the end; kept with what was given
    ACKNOWLEDGED = "acknowledged"
    VERIFIED = "verified"
    FALSE_ALARM = "false_alarm"
    RESOLVED = "resolved"


class AlertSource(StrEnum):
    """How the alert came in."""

    GUIDED = "guided"  # the ALERTE conversation
    ONESHOT = "oneshot"  # ALERTE 3 <text> in one message
    FREETEXT = "freetext"  # free text that matched nothing: an untriaged report


class Alert(Base):
    """A report of tension or incident; its id is the reference leaders quote (`#142`)."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    region: Mapped[str | None] = mapped_column(String(120))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    commune: Mapped[str | None] = mapped_column(String(120))
    village: Mapped[str | None] = mapped_column(String(120))
    place: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(40))
    severity: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), index=True)
    source: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    triage_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assessment: Mapped[str | None] = mapped_column(String(20))  # the reporter's latest: calmer | tense | worse
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    reporter: Mapped[Contact | None] = relationship()
    district: Mapped[District | None] = relationship()


class EscalationStatus(StrEnum):
    """Where an alert's escalation ladder stands."""

    ACTIVE = "active"  # steps keep coming until someone acknowledges
    STOPPED = "stopped"  # acknowledged or closed
    EXHAUSTED = "exhausted"  # the top level was repeated the maximum number of times


class Escalation(Base):
    """The escalation state of one alert, kept in the database so timers survive restarts and lost queues.

    `step_seq` numbers the steps: a step job carries the number it expects, and claims it with a conditional
    update, so a step never fires twice even if the scheduler and the sweeper both enqueue it."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), unique=True)
    ladder: Mapped[bool] = mapped_column(Boolean, default=True)
    level: Mapped[int] = mapped_column(Integer, default=1)
    repeats: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), index=True)
    step_seq: Mapped[int] = mapped_column(Integer, default=0)
    next_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_note: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    alert: Mapped[Alert] = relationship()
    acknowledged_by: Mapped[Contact | None] = relationship(foreign_keys=[acknowledged_by_id])

    @property
    def seconds_to_acknowledge(self) -> float | None:
        """Time from the first notification to the acknowledgement."""
        if self.acknowledged_at is None:
            return None
        return (self.acknowledged_at - self.started_at).total_seconds()


class Notification(Base):
    """One officer notified about one alert on one channel: the escalation timeline."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    level: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(20))  # alert, reminder, taken, resolve_reminder
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    officer: Mapped[Contact] = relationship()
    message: Mapped[Message] = relationship()


class MeetingStatus(StrEnum):
    """Whether a meeting will take place."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Meeting(Base):
    """A meeting of a district's dialogue framework; its id is the reference people quote (`#12`)."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    place: Mapped[str] = mapped_column(String(200))
    agenda: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=MeetingStatus.SCHEDULED)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    district: Mapped[District] = relationship()
    invitations: Mapped[list[Invitation]] = relationship(back_populates="meeting", order_by="Invitation.id")


class Invitation(Base):
    """One person invited to a meeting, and their latest answer (None until they answer)."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("meeting_id", "contact_id", name="uq_invitations_meeting_id_contact_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    answer: Mapped[bool | None] = mapped_column(Boolean)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    meeting: Mapped[Meeting] = relationship(back_populates="invitations")
    contact: Mapped[Contact] = relationship()


class MeetingReminder(Base):
    """A reminder (or the facilitators' tally) due before a meeting; `sent_at` is set once, when it fires."""

    __tablename__ = "meeting_reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # reminder | tally
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)


class Followup(Base):
    """Asking an alert's reporter how things stand, until the situation settles.

    `seq` numbers the questions: the job that asks carries the number it expects and claims it, so a question
    is never sent twice. `waiting_since` is set while an answer is awaited."""

    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), unique=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    asks: Mapped[int] = mapped_column(Integer, default=0)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    next_ask_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed: Mapped[bool] = mapped_column(Boolean, default=False)

    alert: Mapped[Alert] = relationship()
    contact: Mapped[Contact] = relationship()


class AlertUpdate(Base):
    """Something added to an alert after it was recorded: a follow-up asked or answered, a reporter's update."""

    __tablename__ = "alert_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # asked | answered | update | triaged
    value: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Digest(Base):
    """A district's daily digest, one row per district and local day: inserting it is what claims the send."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("district_id", "day", name="uq_digests_district_id_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    day: Mapped[str] = mapped_column(String(10))  # local date, YYYY-MM-DD
    sent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
