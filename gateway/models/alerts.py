"""Alerts from leaders, their updates and follow-ups, and the districts' daily digests."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:  # only for annotations: the mapper finds classes by name at run time
    from gateway.models.directory import Contact, District


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
    PULSE = "pulse"  # the pulse showed a service closed: an untriaged "service disruption" report, no reporter
    CALLBACK = "callback"  # a leader's missed call ("bipage"): call me back; no content until staff classify it


# Reports that arrive without a category, for staff to classify (triage) into a real alert.
TRIAGE_SOURCES = frozenset({AlertSource.FREETEXT, AlertSource.CALLBACK})


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
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # description and place redacted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    reporter: Mapped[Contact | None] = relationship()
    district: Mapped[District | None] = relationship()


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
    question_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))  # the latest question asked
    closed: Mapped[bool] = mapped_column(Boolean, default=False)

    alert: Mapped[Alert] = relationship()
    contact: Mapped[Contact] = relationship()


class AlertUpdate(Base):
    """Something added to an alert after it was recorded: a follow-up asked or answered, a reporter's update."""

    __tablename__ = "alert_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # asked | answered | update | triaged | note | status | reply
    value: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(200))  # the staff email for what staff added
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
