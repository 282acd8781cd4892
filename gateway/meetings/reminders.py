"""Meeting reminders and the facilitators' tally: rows with a due time, fired once by RQ's scheduler (or by the
sweep when Redis lost the job), claimed with a conditional update so they never fire twice."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway.core.db import on_commit
from gateway.core.runtime import Runtime
from gateway.directory.roles import facilitators_of
from gateway.meetings.texts import notice_text, tally_text
from gateway.messaging.outbox import queue_message
from gateway.models import Meeting, MeetingReminder, MeetingStatus, MessageKind, Priority, utcnow
from workers.schedule import schedule_meeting_reminder

log = logging.getLogger(__name__)

REMINDER, TALLY = "reminder", "tally"


def plan_reminders(session: Session, runtime: Runtime, meeting: Meeting) -> list[MeetingReminder]:
    """Reminders at each configured offset before the meeting (those still ahead), and the facilitators'
    tally at the largest offset."""
    now = utcnow()
    hours = runtime.settings.meeting_reminder_hours
    planned = [(REMINDER, h) for h in hours] + ([(TALLY, max(hours))] if hours else [])
    rows = []
    for kind, offset in planned:
        due = meeting.starts_at - timedelta(hours=offset)
        if due <= now:
            continue  # a meeting called at short notice skips the reminders already past
        row = MeetingReminder(meeting_id=meeting.id, kind=kind, due_at=due, cancelled=False)
        session.add(row)
        rows.append(row)
    session.flush()
    connection = runtime.redis
    for row in rows:
        reminder_id, due = row.id, row.due_at
        on_commit(session, lambda r=reminder_id, d=due: schedule_meeting_reminder(connection, r, d))
    return rows


def cancel_reminders(session: Session, meeting: Meeting) -> None:
    """Unsent reminders of a cancelled or moved meeting will not fire."""
    session.execute(
        update(MeetingReminder)
        .where(MeetingReminder.meeting_id == meeting.id, MeetingReminder.sent_at.is_(None))
        .values(cancelled=True)
    )


def fire(runtime: Runtime, reminder_id: int, now: datetime | None = None) -> str:
    """Send one due reminder (or tally) unless it was sent, cancelled, or is not due yet."""
    now = now or utcnow()
    with runtime.db.transaction() as session:
        claimed = session.execute(
            update(MeetingReminder)
            .where(MeetingReminder.id == reminder_id, MeetingReminder.sent_at.is_(None))
            .where(MeetingReminder.cancelled.is_(False), MeetingReminder.due_at <= now + timedelta(seconds=1))
            .values(sent_at=now)
        ).rowcount
        if claimed != 1:
            return "skipped"
        reminder = session.get(MeetingReminder, reminder_id)
        meeting = session.get(Meeting, reminder.meeting_id)
        if meeting.status != MeetingStatus.SCHEDULED or meeting.starts_at <= now:
            return "skipped"
        if reminder.kind == TALLY:
            for facilitator in facilitators_of(session, meeting.district_id):
                body = tally_text(meeting, facilitator.language)
                queue_message(
                    session, runtime, body=body, contact=facilitator, priority=Priority.BULK, kind=MessageKind.TALLY
                )
            return "tally"
        sent = 0
        for invitation in meeting.invitations:
            contact = invitation.contact
            if invitation.answer is False or contact.opted_out or not contact.active:
                continue  # those who said no get nothing
            key = "meeting.reminder" if invitation.answer else "meeting.last_call"
            body = notice_text(meeting, runtime, contact.language, key)
            queue_message(
                session, runtime, body=body, contact=contact, priority=Priority.BULK, kind=MessageKind.MEETING_REMINDER
            )
            sent += 1
    log.info("meeting %s: reminder sent to %s invitee(s)", meeting.id, sent)
    return f"reminded {sent}"


def overdue(session: Session, now: datetime) -> list[int]:
    """Reminders due (with a little grace) but not sent: their job was lost."""
    return list(
        session.scalars(
            select(MeetingReminder.id)
            .where(MeetingReminder.sent_at.is_(None), MeetingReminder.cancelled.is_(False))
            .where(MeetingReminder.due_at < now - timedelta(seconds=2))
            .limit(500)
        )
    )


def reschedule_overdue(runtime: Runtime, now: datetime) -> int:
    """Queue every overdue meeting reminder again (the sweeper's entry point)."""
    with runtime.db.transaction() as session:
        due = overdue(session, now)
    return sum(schedule_meeting_reminder(runtime.redis, reminder_id, None) for reminder_id in due)
