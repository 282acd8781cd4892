"""Who was invited to a meeting and what became of it: the channel and delivery of each invitee's latest notice,
their answer, the meeting's broadcasts and reminders (the meeting page, the attendance CSV and the API read this)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.core.privacy import mask_address
from gateway.models import Broadcast, Meeting, MeetingReminder, Message, MessageStatus

# What a notice's message status means to a person following the meeting.
DELIVERY = {
    MessageStatus.DELIVERED: "delivered",
    MessageStatus.FAILED: "failed",
    MessageStatus.HELD: "failed",
    MessageStatus.SENT: "sent",
    MessageStatus.SENDING: "queued",
    MessageStatus.QUEUED: "queued",
}


@dataclass(frozen=True)
class Invitee:
    """One invitee as staff see them; `phone` is the full number (callers mask it unless the role may see it)."""

    contact_id: int
    name: str
    role: str
    commune: str | None
    village: str | None
    phone: str
    channel: str | None  # of their latest notice; None when no notice was stored for them
    delivery: str  # queued | sent | delivered | failed | none
    answer: str  # yes | no | none
    answered_at: datetime | None

    def masked_phone(self) -> str:
        """The number with all but its last two digits hidden."""
        return mask_address(self.phone)


def local_text(moment: datetime | None, zone: str) -> str:
    """`2026-12-05 10:00` in the deployment's zone (what staff type and read), or an empty text."""
    return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M}" if moment else ""


def broadcasts_of(session: Session, meeting: Meeting) -> list[Broadcast]:
    """The meeting's sendings (notice, moves, cancellation, last calls), oldest first."""
    return list(session.scalars(select(Broadcast).where(Broadcast.meeting_id == meeting.id).order_by(Broadcast.id)))


def invitees(session: Session, meeting: Meeting) -> list[Invitee]:
    """Every invitation of the meeting with the latest message of its broadcasts to that contact, by name."""
    ids = [b.id for b in broadcasts_of(session, meeting)]
    latest: dict[int, Message] = {}
    if ids:
        rows = session.scalars(select(Message).where(Message.broadcast_id.in_(ids)).order_by(Message.id))
        for message in rows:
            if message.contact_id is not None:
                latest[message.contact_id] = message  # ordered by id: the last one wins
    out = []
    for invitation in meeting.invitations:
        contact, message = invitation.contact, latest.get(invitation.contact_id)
        answer = "none" if invitation.answer is None else ("yes" if invitation.answer else "no")
        out.append(
            Invitee(
                contact_id=contact.id,
                name=contact.name,
                role=contact.role,
                commune=contact.commune,
                village=contact.village,
                phone=contact.phone,
                channel=message.channel if message else None,
                delivery=DELIVERY.get(message.status, "queued") if message else "none",
                answer=answer,
                answered_at=invitation.answered_at,
            )
        )
    return sorted(out, key=lambda i: (i.name.casefold(), i.contact_id))


def answer_counts(meeting: Meeting) -> dict[str, int]:
    """`{"yes", "no", "none"}`: how many invitees answered each way."""
    counts = {"yes": 0, "no": 0, "none": 0}
    for invitation in meeting.invitations:
        counts["none" if invitation.answer is None else ("yes" if invitation.answer else "no")] += 1
    return counts


def reminders_of(session: Session, meeting: Meeting) -> list[MeetingReminder]:
    """The meeting's reminders and tally, planned and sent, in the order they are due."""
    query = select(MeetingReminder).where(MeetingReminder.meeting_id == meeting.id)
    return list(session.scalars(query.order_by(MeetingReminder.due_at, MeetingReminder.id)))
