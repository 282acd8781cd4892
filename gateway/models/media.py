"""Media items: files that came with an inbound message (a photo, a voice note…), fetched and checked by a job."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, UTCDateTime, utcnow


class MediaStatus(StrEnum):
    """Where a media item is: waiting for its job, kept, refused or lost, or purged by retention."""

    PENDING = "pending"  # stored with its message; the fetch job has not kept the file yet
    FETCHED = "fetched"  # the bytes are in the media store under `storage_key`, their type checked
    FAILED = "failed"  # will not be kept: too large, a type we do not keep, the provider lost it (see error)
    PURGED = "purged"  # removed by retention with the message's body


class MediaItem(Base):
    """One file of an inbound message. The alert or report it belongs to is its message's (`messages.alert_id`)."""

    __tablename__ = "media_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # bots.base.MediaKind
    # The provider's handle on the file (Telegram file_id, Twilio media URL); emptied once fetched or purged.
    provider_ref: Mapped[str | None] = mapped_column(String(500))
    declared_type: Mapped[str | None] = mapped_column(String(100))  # what the provider said: never trusted
    content_type: Mapped[str | None] = mapped_column(String(100))  # found in the bytes (magic numbers)
    size: Mapped[int | None] = mapped_column(BigInteger)
    # Random and unguessable (secrets.token_urlsafe): the file's name in the store and its console URL's part.
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=MediaStatus.PENDING, index=True)
    error: Mapped[str | None] = mapped_column(String(40))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
