"""Meetings of the dialogue frameworks, invitations and reminders."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:  # only for annotations: the mapper finds classes by name at run time
    from gateway.models.directory import Contact, District


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
