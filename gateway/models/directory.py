"""The directory: districts (cercles) and contacts (leaders, facilitators, officers)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.models.base import Base, UTCDateTime, utcnow


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
    # The provider's code that made a channel unreachable (e.g. Twilio 21610: the number sent STOP to Twilio).
    sms_unreachable_reason: Mapped[str | None] = mapped_column(String(40))
    telegram_unreachable_reason: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A leader at risk: messages to them never say what they reported; their Telegram chat is cleaned up.
    discreet: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    district: Mapped[District | None] = relationship(back_populates="contacts")
