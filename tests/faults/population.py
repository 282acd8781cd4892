"""Synthetic directory contacts and broadcasts for the fault cases (valid Malian numbers, unique bodies)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from gateway.directory.phones import to_e164
from gateway.messaging.outbox import queue_message
from gateway.models import Contact, Direction, Message, MessageStatus, Priority


def phone(case: int, index: int) -> str:
    """A valid Malian mobile number of one case: +2237<case><index:06>."""
    number = f"+2237{case}{index:06d}"
    assert to_e164(number) == number
    return number


def telegram_id(case: int, index: int) -> int:
    """A Telegram user id of one case, far from anything else in the logs (epoch seconds are ~1.8e9)."""
    return 9_100_000_000 + case * 100_000 + index


def add_leaders(runtime, case: int, count: int, telegram: int = 0) -> list[Contact]:
    """Insert `count` leaders; the first `telegram` of them prefer Telegram (and have an id)."""
    contacts = []
    with runtime.db.transaction() as session:
        for i in range(count):
            on_telegram = i < telegram
            contact = Contact(
                name=f"Leader {case}-{i}",
                phone=phone(case, i),
                role="leader",
                region="Mopti",
                language="fr",
                channel="telegram" if on_telegram else "sms",
                telegram_id=telegram_id(case, i) if on_telegram else None,
            )
            session.add(contact)
            contacts.append(contact)
    return contacts


def broadcast_body(case: int, index: int) -> str:
    """A meeting notice unique to its recipient, so that the fakes' requests can be matched to our rows."""
    return f"Cadre de concertation: reunion jeudi 10h a la mairie, apportez vos cahiers. Ref B{case}-{index:04d}"


def queue_broadcast(runtime, contacts: list[Contact], case: int) -> dict[int, str]:
    """Queue one bulk meeting notice per contact in one transaction; message id → body."""
    with runtime.db.transaction() as session:
        rows = []
        loaded = session.scalars(select(Contact).where(Contact.id.in_([c.id for c in contacts])).order_by(Contact.id))
        for i, contact in enumerate(loaded):
            message = queue_message(
                session,
                runtime,
                body=broadcast_body(case, i),
                contact=contact,
                priority=Priority.BULK,
                kind="meeting_notice",
            )
            rows.append(message)
    return {m.id: m.body for m in rows}


def outbound_statuses(runtime, ids) -> Counter:
    """How many of these outbound rows are in each status."""
    wanted = list(ids)
    with runtime.db.transaction() as session:
        found = session.execute(select(Message.id, Message.status).where(Message.id.in_(wanted))).all()
    return Counter(status for _, status in found)


def inbound_rows(runtime) -> list[Message]:
    """Every inbound message, oldest first."""
    with runtime.db.transaction() as session:
        return list(session.scalars(select(Message).where(Message.direction == Direction.IN).order_by(Message.id)))


__all__ = ["MessageStatus"]
