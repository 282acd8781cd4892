"""Staff accounts of the console and the API (separate from directory contacts) and their API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:  # only for annotations: the mapper finds classes by name at run time
    from gateway.models.directory import Contact, District


class StaffUser(Base):
    """A person who logs in to the console or calls the API; `role` and its scope decide what they see."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # admin | coordinator | facilitator | officer | observer
    region: Mapped[str | None] = mapped_column(String(120))  # a coordinator's region, as in the directory
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))  # a facilitator's or officer's
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))  # the same person in the directory
    password_hash: Mapped[str | None] = mapped_column(String(300))
    totp_secret: Mapped[str | None] = mapped_column(String(64))  # set once the second factor is confirmed
    recovery_codes: Mapped[str | None] = mapped_column(Text)  # JSON list of hashes; a used one is removed
    # The TOTP time step (unix time // 30) last accepted: a code of this step or an older one is refused (replay).
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    district: Mapped[District | None] = relationship()
    contact: Mapped[Contact | None] = relationship()


class ApiToken(Base):
    """A bearer token for the API: only its SHA-256 is kept; it carries its user's role and scope."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    label: Mapped[str | None] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # the first characters, to tell tokens apart in listings
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[StaffUser] = relationship()
