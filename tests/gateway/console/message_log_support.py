"""Helpers of the message log's tests: staff browsers per role, and message rows of known and unknown senders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from gateway.models import Contact, Message, utcnow
from tests.gateway.console.auth_support import add_staff, code_now, log_in

MOPTI_LEADER = "+22371139685"  # Mamadou Dembélé, leader of MOPTI (Mopti region)
SEGOU_REGION_LEADER_DISTRICT = "SEGOU"
UNKNOWN_NUMBER = "+22370000042"  # not in the directory


def browser_for(runtime, app, role: str, **scope):
    """A test client logged in with a role (an admin with its second factor)."""
    email = f"{role}-{len(scope)}@example.org"
    factor = add_staff(runtime, email, role=role, totp=role == "admin", **scope)
    client = app.test_client()
    fields = {"otp": code_now(factor.secret)} if factor else {}
    assert log_in(client, email, **fields).status_code == 302
    return client


def contact_by_phone(runtime, phone: str) -> Contact:
    """A directory contact (detached, with its district loaded)."""
    with runtime.db.sessions() as db:
        contact = db.scalars(select(Contact).where(Contact.phone == phone)).one()
        _ = contact.district
        db.expunge_all()
        return contact


def first_leader_of(runtime, district: str) -> Contact:
    """The first leader of a district (detached)."""
    with runtime.db.sessions() as db:
        contacts = db.scalars(select(Contact).order_by(Contact.id)).all()
        found = next(c for c in contacts if c.district and c.district.code == district and c.role == "leader")
        db.expunge_all()
        return found


def add_message(
    runtime,
    body: str | None,
    contact: Contact | None = None,
    address: str | None = None,
    direction: str = "in",
    channel: str = "twilio",
    status: str | None = None,
    kind: str = "reply",
    at: datetime | None = None,
    purged: bool = False,
) -> int:
    """One message row as the pipeline stores it (inbound: received; outbound: sent); its id."""
    status = status or ("received" if direction == "in" else "sent")
    with runtime.db.transaction() as db:
        row = Message(
            direction=direction,
            channel=channel,
            contact_id=contact.id if contact else None,
            address=address or (contact.phone if contact else None),
            body=None if purged else body,
            status=status,
            kind=kind,
            created_at=at or utcnow(),
            purged_at=utcnow() if purged else None,
        )
        db.add(row)
        db.flush()
        return row.id
