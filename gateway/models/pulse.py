"""The service-return pulse: each sending (a run) opens one round per commune; the question each leader got, their
answers per service, the news already told (a closure or a return), and the weekly bulletins already sent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:  # only for annotations: the mapper finds classes by name at run time
    from gateway.models.directory import Contact, District


class ServicePresence(StrEnum):
    """A leader's answer about one service: the digits 1, 2, 3 of the SMS."""

    OPEN = "open"
    CLOSED = "closed"
    PARTIAL = "partial"


class PulseRun(Base):
    """One sending of the pulse, scheduled or by `gateway pulse send`."""

    __tablename__ = "pulse_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[str] = mapped_column(String(8))  # ISO week of the sending, local time: 2026-W49
    # Set on scheduled runs only (the week, `2026-W49`): inserting it is what claims the week's scheduled sending.
    schedule_key: Mapped[str | None] = mapped_column(String(20), unique=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))  # --district, or None: all
    actor: Mapped[str] = mapped_column(String(200))  # `schedule`, `cli`, or a staff email
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PulseRound(Base):
    """The pulse in one commune at one run: which services were asked (up to four, in the question's order)."""

    __tablename__ = "pulse_rounds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("pulse_runs.id"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    commune: Mapped[str] = mapped_column(String(120))
    week: Mapped[str] = mapped_column(String(8), index=True)
    services: Mapped[str] = mapped_column(String(200))  # comma-separated ServiceKind values, as asked
    asked: Mapped[int] = mapped_column(Integer, default=0)  # leaders sent the question
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    district: Mapped[District] = relationship()


class PulseQuestion(Base):
    """The question one leader got in one round (its outbox row): an answer belongs to the leader's latest."""

    __tablename__ = "pulse_questions"
    __table_args__ = (UniqueConstraint("round_id", "contact_id", name="uq_pulse_questions_round_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("pulse_rounds.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    round: Mapped[PulseRound] = relationship()
    contact: Mapped[Contact] = relationship()


class PulseAnswer(Base):
    """One leader's answer about one service in one round; a second answer replaces the first (same row).
    Individual answers are never shown: only aggregates of at least PULSE_MIN_ANSWERS leaders."""

    __tablename__ = "pulse_answers"
    __table_args__ = (UniqueConstraint("round_id", "contact_id", "service", name="uq_pulse_answers_round_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("pulse_rounds.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    service: Mapped[str] = mapped_column(String(20))
    presence: Mapped[str] = mapped_column(String(10))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PulseNews(Base):
    """A change already told to the district (a service closed, or back): inserting it claims the telling."""

    __tablename__ = "pulse_news"
    __table_args__ = (UniqueConstraint("round_id", "service", name="uq_pulse_news_round_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("pulse_rounds.id"), index=True)
    service: Mapped[str] = mapped_column(String(20))
    change: Mapped[str] = mapped_column(String(10))  # closed | returned
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))  # the "service disruption" report
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BulletinSending(Base):
    """A weekly bulletin sent to its readers, one row per week and scope (`all`, a region, a district code)."""

    __tablename__ = "bulletin_sendings"
    __table_args__ = (UniqueConstraint("week", "scope", name="uq_bulletin_sendings_week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[str] = mapped_column(String(8))
    scope: Mapped[str] = mapped_column(String(120))
    path: Mapped[str | None] = mapped_column(Text)  # the rendered file under the instance folder
    summary: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
