"""The append-only audit log: who did what to which record, and why (reveals of a reporter above all)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models.base import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    """One audited action. Rows are only ever inserted: nothing in the gateway updates or deletes them."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # Who: a staff email, `cli:<os user>` for the command line, `system` for jobs (retention, …).
    actor: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)  # e.g. reveal_reporter, purge, alert_status
    target: Mapped[str | None] = mapped_column(String(120))  # e.g. alert #142
    detail: Mapped[str | None] = mapped_column(Text)  # the reason given, counts; never a phone number or a body
