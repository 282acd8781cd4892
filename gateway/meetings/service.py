"""Meetings: create one and send its notice, record answers, count them, cancel or move a meeting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bots.base import AddressKind, Button
from gateway.core.runtime import Runtime
from gateway.meetings.reminders import cancel_reminders, plan_reminders
from gateway.meetings.texts import answer_buttons, notice_text
from gateway.messaging.outbox import BroadcastItem, queue_broadcast
from gateway.messaging.routing import route_for, sms_barred
from gateway.messaging.sms_text import count_segments, to_gsm7
from gateway.models import (
    Broadcast,
    BroadcastKind,
    Contact,
    District,
    Invitation,
    Meeting,
    MeetingStatus,
    MessageKind,
    Priority,
    Role,
    utcnow,
)


class MeetingError(ValueError):
    """A meeting cannot be created or changed; the message says why, for the person who asked."""


@dataclass(frozen=True)
class NoticePreview:
    """What a meeting's notice would cost, before the meeting exists."""

    invitees: int
    segments_each: int
    segments_total: int


@dataclass(frozen=True)
class NoticeSummary:
    """What a new (or moved) meeting's notice costs."""

    meeting_id: int
    invitees: int
    segments_each: int
    segments_total: int


def invitees_of(session: Session, district: District, extra: list[Contact]) -> list[Contact]:
    """Every active, not-opted-out leader of the district, plus the extra invitees (once each)."""
    leaders = session.scalars(
        select(Contact)
        .where(Contact.district_id == district.id, Contact.role == Role.LEADER)
        .where(Contact.active.is_(True), Contact.opted_out.is_(False))
        .order_by(Contact.id)
    ).all()
    chosen = {c.id: c for c in leaders}
    for contact in extra:
        if contact.active and not contact.opted_out:
            chosen.setdefault(contact.id, contact)
    return list(chosen.values())


def create_meeting(
    session: Session,
    runtime: Runtime,
    *,
    district: District,
    starts_at: datetime,
    place: str,
    agenda: str | None = None,
    extra: list[Contact] | None = None,
    created_by: Contact | None = None,
    staff_user_id: int | None = None,
) -> NoticeSummary:
    """Create the meeting, invite the district, queue the notices on the bulk queue and plan the reminders
    (`staff_user_id`: the console or API account that asked, recorded on the notice's Broadcast)."""
    place = _checked(starts_at, place)
    meeting = Meeting(
        district=district,
        starts_at=starts_at,
        place=place,
        agenda=agenda,
        status=MeetingStatus.SCHEDULED,
        created_by_id=created_by.id if created_by else None,
    )
    session.add(meeting)
    session.flush()
    invitees = invitees_of(session, district, extra or [])
    if invitees:
        session.execute(insert(Invitation), [{"meeting_id": meeting.id, "contact_id": c.id} for c in invitees])
    segments = send_to_invitees(
        session, runtime, meeting, invitees, "meeting.notice", with_buttons=True, staff_user_id=staff_user_id
    )
    plan_reminders(session, runtime, meeting)
    return NoticeSummary(meeting.id, len(invitees), notice_segments(meeting, runtime), segments)


def _checked(starts_at: datetime, place: str) -> str:
    """The place as stored (spaces collapsed, at most 200 characters); MeetingError for a past date or no place."""
    if starts_at <= utcnow():
        raise MeetingError("past")
    place = " ".join(place.split())
    if not place:
        raise MeetingError("place")
    return place[:200]


def preview_meeting(
    session: Session,
    runtime: Runtime,
    *,
    district: District,
    starts_at: datetime,
    place: str,
    extra: list[Contact] | None = None,
) -> NoticePreview:
    """Who a meeting would invite and the SMS its notice would cost, creating nothing (same checks, same
    recipients, same channels and texts as `create_meeting`; the reference is the next one, as it will likely be)."""
    place = _checked(starts_at, place)
    invitees = invitees_of(session, district, extra or [])
    next_ref = (session.scalar(select(func.max(Meeting.id))) or 0) + 1
    # notice_text reads only these attributes; a transient Meeting tied to the district would join the session.
    stand_in = SimpleNamespace(id=next_ref, district=district, starts_at=starts_at, place=place)
    texts: dict[str, str] = {}
    rows = []
    for contact in invitees:
        if contact.language not in texts:
            texts[contact.language] = notice_text(stand_in, runtime, contact.language)
        channel, _ = route_for(contact, runtime.settings, runtime.channels)
        if sms_barred(contact, channel):
            continue  # stored failed, never sent: costs nothing
        adapter = runtime.channels.get(channel)
        phone = adapter is not None and adapter.address_kind == AddressKind.PHONE
        rows.append((channel, to_gsm7(texts[contact.language]) if phone else texts[contact.language]))
    each = count_segments(to_gsm7(notice_text(stand_in, runtime, "fr"))).segments
    return NoticePreview(len(invitees), each, _sms_segments(rows))


def _sms_segments(rows: list[tuple[str, str]]) -> int:
    """SMS segments of outbound (channel, body) rows; Telegram costs nothing."""
    segments: dict[str, int] = {}
    for channel, body in rows:
        if channel != "telegram" and body not in segments:
            segments[body] = count_segments(body).segments
    return sum(segments[body] for channel, body in rows if channel != "telegram")


def notice_segments(meeting: Meeting, runtime: Runtime) -> int:
    """Segments of the French notice as SMS."""
    return count_segments(to_gsm7(notice_text(meeting, runtime, "fr"))).segments


# Which broadcast each of a meeting's catalogue texts makes (the console follows each one's delivery).
BROADCAST_KINDS = {
    "meeting.notice": BroadcastKind.MEETING_NOTICE,
    "meeting.moved": BroadcastKind.MEETING_MOVED,
    "meeting.cancelled": BroadcastKind.MEETING_CANCELLED,
}


def send_to_invitees(
    session: Session,
    runtime: Runtime,
    meeting: Meeting,
    contacts: list[Contact],
    key: str,
    with_buttons: bool,
    *,
    kind: str | None = None,
    staff_user_id: int | None = None,
) -> int:
    """Queue one notice per contact, in their language, on their preferred channel, as one `Broadcast` of the
    meeting (`kind`, by default the one of `key`); returns SMS segments used.

    The text and buttons are rendered once per language, and the rows go in as one bulk insert (a district of
    10,000 leaders is one notice: bench/RESULTS.md)."""
    broadcast = Broadcast(
        kind=kind or BROADCAST_KINDS.get(key, BroadcastKind.MEETING_NOTICE),
        meeting_id=meeting.id,
        district_id=meeting.district_id,
        recipients=len(contacts),
        segments=0,
        created_by_id=staff_user_id,
    )
    session.add(broadcast)
    session.flush()
    texts: dict[str, tuple[str, tuple[Button, ...]]] = {}
    items = []
    for contact in contacts:
        if contact.language not in texts:
            buttons = answer_buttons(meeting, contact.language) if with_buttons else ()
            texts[contact.language] = (notice_text(meeting, runtime, contact.language, key), buttons)
        body, buttons = texts[contact.language]
        items.append(BroadcastItem(contact, body, buttons))
    queued = queue_broadcast(
        session, runtime, items, priority=Priority.BULK, kind=MessageKind.MEETING_NOTICE, broadcast_id=broadcast.id
    )
    broadcast.segments = _sms_segments(queued)
    return broadcast.segments


def pending_invitations(session: Session, contact: Contact) -> list[Invitation]:
    """The contact's invitations to meetings still ahead, soonest first."""
    return list(
        session.scalars(
            select(Invitation)
            .join(Meeting, Meeting.id == Invitation.meeting_id)
            .where(Invitation.contact_id == contact.id, Meeting.status == MeetingStatus.SCHEDULED)
            .where(Meeting.starts_at > utcnow())
            .order_by(Meeting.starts_at)
        )
    )


def record_answer(invitation: Invitation, yes: bool) -> None:
    """Keep the latest answer given before the meeting."""
    invitation.answer = yes
    invitation.answered_at = utcnow()


def _still_coming(meeting: Meeting) -> list[Contact]:
    """Invitees who had not declined and still want our messages."""
    return [
        i.contact for i in meeting.invitations if i.answer is not False and i.contact.active and not i.contact.opted_out
    ]


def cancel_meeting(session: Session, runtime: Runtime, meeting: Meeting, staff_user_id: int | None = None) -> int:
    """Cancel; everyone invited who had not declined is told. Returns how many were told."""
    if meeting.status == MeetingStatus.CANCELLED:
        raise MeetingError("already_cancelled")
    if meeting.starts_at <= utcnow():
        raise MeetingError("past")  # it has taken place: nobody is told it is cancelled
    meeting.status = MeetingStatus.CANCELLED
    cancel_reminders(session, meeting)
    told = _still_coming(meeting)
    send_to_invitees(
        session, runtime, meeting, told, "meeting.cancelled", with_buttons=False, staff_user_id=staff_user_id
    )
    return len(told)


def reschedule_meeting(
    session: Session, runtime: Runtime, meeting: Meeting, starts_at: datetime, staff_user_id: int | None = None
) -> int:
    """Move the meeting; answers are reset and everyone who had not declined is asked again."""
    if meeting.status == MeetingStatus.CANCELLED:
        raise MeetingError("already_cancelled")
    if starts_at <= utcnow():
        raise MeetingError("past")
    told = _still_coming(meeting)
    meeting.starts_at = starts_at
    for invitation in meeting.invitations:
        invitation.answer, invitation.answered_at = None, None
    cancel_reminders(session, meeting)
    session.flush()
    send_to_invitees(session, runtime, meeting, told, "meeting.moved", with_buttons=True, staff_user_id=staff_user_id)
    plan_reminders(session, runtime, meeting)
    return len(told)
