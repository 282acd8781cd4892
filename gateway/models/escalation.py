"""Escalation ladders and the notifications sent to officers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:  # only for annotations: the mapper finds classes by name at run time
    from gateway.models.alerts import Alert
    from gateway.models.directory import Contact
    from gateway.models.messages import Message
    from gateway.models.staff import StaffUser


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
    # Taken or closed from the console or the API by a staff account (the *_by_id columns: an officer by SMS).
    acknowledged_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    resolved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_note: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    alert: Mapped[Alert] = relationship()
    acknowledged_by: Mapped[Contact | None] = relationship(foreign_keys=[acknowledged_by_id])
    acknowledged_by_user: Mapped[StaffUser | None] = relationship(foreign_keys=[acknowledged_by_user_id])

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
