"""Login throttling, counted from the audit log's recent `login_failed` rows: per account and per address."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import AuditEntry, utcnow

WINDOW = timedelta(minutes=15)
PER_ACCOUNT = 5  # failures of one account in WINDOW: guessing one person's password stops here
PER_ADDRESS = 20  # failures from one address in WINDOW: trying many accounts stops here (an office shares one)
FAILED = "login_failed"
THROTTLED = "login_throttled"


def address_detail(address: str) -> str:
    """How the client's address is written in a login audit row's detail (and found again for counting)."""
    return f"from {address}"


def _wait(times: list[datetime], limit: int, now: datetime) -> timedelta | None:
    """How long until fewer than `limit` of these failures (newest first) are left in the window; None if free."""
    if len(times) < limit:
        return None
    return times[limit - 1] + WINDOW - now


def retry_after(db: Session, account: str, address: str, now: datetime | None = None) -> int | None:
    """Whole minutes to wait before this account may try again from this address; None when not throttled."""
    now = now or utcnow()
    recent = select(AuditEntry.at).where(AuditEntry.action == FAILED, AuditEntry.at > now - WINDOW)
    newest = AuditEntry.at.desc()
    by_account = list(db.scalars(recent.where(AuditEntry.actor == account).order_by(newest).limit(PER_ACCOUNT)))
    by_address = list(
        db.scalars(recent.where(AuditEntry.detail == address_detail(address)).order_by(newest).limit(PER_ADDRESS))
    )
    waits = [w for w in (_wait(by_account, PER_ACCOUNT, now), _wait(by_address, PER_ADDRESS, now)) if w]
    if not waits:
        return None
    return max(1, math.ceil(max(waits).total_seconds() / 60))
