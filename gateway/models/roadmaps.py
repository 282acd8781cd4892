"""District roadmaps: what the authorities committed to bring back (a school reopened, a gendarmerie post staffed),
where, by when, and the history of each commitment's status."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:  # only for annotations: the mapper finds classes by name at run time
    from gateway.models.directory import District
    from gateway.models.meetings import Meeting


class ServiceKind(StrEnum):
    """A state service whose return a roadmap tracks (the CSV's `service` column); the order is the pulse's."""

    SCHOOL = "school"
    HEALTH = "health"
    SECURITY = "security"
    ADMINISTRATION = "administration"
    JUSTICE = "justice"
    WATER = "water"
    MARKET = "market"
    OTHER = "other"


class RoadmapStatus(StrEnum):
    """Where a commitment stands."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    STALLED = "stalled"
    REVERSED = "reversed"


class RoadmapItem(Base):
    """One commitment of a district's roadmap; its id is the reference staff quote (`R12`)."""

    __tablename__ = "roadmap_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The import's idempotence key: sha256 of district, commune, village, service and commitment, folded (case,
    # accents, spaces), so that re-importing the same CSV updates rows instead of adding them.
    natural_key: Mapped[str] = mapped_column(String(64), unique=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    commune: Mapped[str] = mapped_column(String(120))
    village: Mapped[str | None] = mapped_column(String(120))
    service: Mapped[str] = mapped_column(String(20))
    commitment: Mapped[str] = mapped_column(Text)
    responsible: Mapped[str | None] = mapped_column(String(200))
    due: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=RoadmapStatus.PLANNED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    district: Mapped[District] = relationship()
    history: Mapped[list[RoadmapStatusChange]] = relationship(back_populates="item", order_by="RoadmapStatusChange.id")
    meetings: Mapped[list[Meeting]] = relationship(secondary="roadmap_meeting_links", order_by="Meeting.starts_at")


class RoadmapStatusChange(Base):
    """One step of a commitment's history: who set which status, when, and why (append-only)."""

    __tablename__ = "roadmap_status_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("roadmap_items.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    previous: Mapped[str | None] = mapped_column(String(20))  # None for the first status (the import)
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))  # a staff email, `cli`, or `import`
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    item: Mapped[RoadmapItem] = relationship(back_populates="history")


class RoadmapMeetingLink(Base):
    """A meeting of the framework where a commitment was discussed."""

    __tablename__ = "roadmap_meeting_links"
    __table_args__ = (UniqueConstraint("item_id", "meeting_id", name="uq_roadmap_meeting_links_item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("roadmap_items.id"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
