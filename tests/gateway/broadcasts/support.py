"""Helpers of the broadcast tests: what the sending wrote (broadcasts, outbox rows,
audit rows), and the directory's expected recipients computed straight from the sample rows."""

from __future__ import annotations

from sqlalchemy import func, select

from gateway.models import AuditEntry, Broadcast, Contact, District, Message
from gateway.staff.roles import fold


def footprint(runtime) -> dict:
    """What a sending would change: broadcasts, outbox rows, audit rows, and each message's status."""
    with runtime.db.sessions() as session:
        out = {
            m.__name__: session.scalar(select(func.count()).select_from(m)) for m in (Broadcast, Message, AuditEntry)
        }
        out["statuses"] = sorted(session.execute(select(Message.id, Message.status, Message.attempts)).all())
    return out


def expected(rows, *, districts=None, region=None, commune=None, role="leader", language=None) -> int:
    """How many sample-directory contacts a selection should reach (all are active and opted in at first)."""
    return sum(
        1
        for row in rows
        if (districts is None or (row.district or "") in districts)
        and (region is None or fold(row.region) == fold(region))
        and (commune is None or fold(row.commune) == fold(commune))
        and (role == "all" or row.role == role)
        and (language is None or row.language == language)
    )


def contacts_of(runtime, district: str, role: str = "leader") -> list[Contact]:
    """The contacts of a district with a role (detached)."""
    with runtime.db.sessions() as session:
        query = select(Contact).join(District).where(District.code == district, Contact.role == role)
        rows = list(session.scalars(query.order_by(Contact.id)))
        session.expunge_all()
        return rows
