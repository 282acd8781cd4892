"""Broadcasts: one row per mass sending (a staff broadcast, or a meeting's notice, move, cancellation or last call),
so that the delivery of every outbox row it queued can be followed and retried (`messages.broadcast_id`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:  # only for annotations: the mapper finds classes by name at run time
    from gateway.models.directory import District
    from gateway.models.meetings import Meeting


class BroadcastKind(StrEnum):
    """What a broadcast is: composed by staff, or one of a meeting's sendings."""

    BROADCAST = "broadcast"
    MEETING_NOTICE = "meeting_notice"
    MEETING_MOVED = "meeting_moved"
    MEETING_CANCELLED = "meeting_cancelled"
    LAST_CALL = "last_call"


class Broadcast(Base):
    """A mass sending and what it was meant to reach; its messages carry its id."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), default=BroadcastKind.BROADCAST)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    # Whose scope it belongs to: one district, or one region (a coordinator's), or neither (head office, all).
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    region: Mapped[str | None] = mapped_column(String(120))
    text: Mapped[str | None] = mapped_column(Text)  # a staff broadcast's text as composed (meetings: catalogue texts)
    filters: Mapped[str | None] = mapped_column(Text)  # JSON: the selection it was sent to
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    segments: Mapped[int] = mapped_column(Integer, default=0)  # SMS segments queued
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    meeting: Mapped[Meeting | None] = relationship()
    district: Mapped[District | None] = relationship()
