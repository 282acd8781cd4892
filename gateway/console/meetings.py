"""The meetings of the user's scope: the list (upcoming first, then past) with a month calendar, and one meeting's
page (invitees, delivery of each sending, answers refreshing themselves, reminders, the facilitators' tally)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import abort, g, render_template, request

from gateway.console import console, login_required, runtime
from gateway.console.texts import t
from gateway.directory.roles import facilitators_of
from gateway.meetings import attendance
from gateway.meetings.attendance import answer_counts, broadcasts_of, invitees, reminders_of
from gateway.meetings.desk import may_convene, parse_ref, scoped_meetings, visible_meeting
from gateway.meetings.texts import tally_text, when_text
from gateway.messaging.deliveries import delivery_counts
from gateway.models import Meeting, MeetingStatus, utcnow
from gateway.staff.roles import PHONE_ROLES

ANSWERS_POLL_SECONDS = 5
DELIVERY_POLL_SECONDS = 3


def local(moment: datetime | None) -> datetime | None:
    """A stored UTC time in the deployment's zone (Africa/Bamako)."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(runtime().settings.timezone))


def local_text(moment: datetime | None) -> str:
    """`2026-12-05 10:00` local, or an empty text."""
    return attendance.local_text(moment, runtime().settings.timezone)


def summary(meeting: Meeting) -> dict:
    """What the list and the calendar show of a meeting."""
    return {
        "ref": meeting.id,
        "district": meeting.district.name,
        "code": meeting.district.code,
        "at": local_text(meeting.starts_at),
        "day": local(meeting.starts_at).date(),
        "when": when_text(meeting, runtime(), g.language),
        "place": meeting.place,
        "status": meeting.status,
        "past": meeting.starts_at <= utcnow(),
        "answers": answer_counts(meeting),
    }


def _month(text: str | None, today: date) -> date:
    """The first day of `YYYY-MM` (default: this month); 400 for anything else."""
    if not text:
        return today.replace(day=1)
    try:
        first = datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        abort(400, t("meetings.bad_month"))
    if not 2000 <= first.year <= 2100:
        abort(400, t("meetings.bad_month"))
    return first


def month_weeks(first: date, meetings: list[dict]) -> list[list[dict]]:
    """The weeks (Monday first) of the month of `first`, each day with its meetings; days of other months blank."""
    by_day: dict[date, list[dict]] = {}
    for meeting in meetings:
        by_day.setdefault(meeting["day"], []).append(meeting)
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        weeks.append([{"day": d, "in_month": d.month == first.month, "meetings": by_day.get(d, [])} for d in week])
    return weeks


@console.get("/meetings")
@login_required
def meetings():
    """The list (upcoming soonest first, then past latest first) and the calendar of one month."""
    zone = ZoneInfo(runtime().settings.timezone)
    today = datetime.now(UTC).astimezone(zone).date()
    first = _month(request.args.get("month"), today)
    following = (first + timedelta(days=32)).replace(day=1)
    start = datetime(first.year, first.month, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(following.year, following.month, 1, tzinfo=zone).astimezone(UTC)
    now = utcnow()
    with runtime().db.sessions() as db:
        upcoming = db.scalars(
            scoped_meetings(db, g.scope).where(Meeting.starts_at > now).order_by(Meeting.starts_at, Meeting.id)
        )
        past = db.scalars(
            scoped_meetings(db, g.scope).where(Meeting.starts_at <= now).order_by(Meeting.starts_at.desc()).limit(100)
        )
        rows = [summary(m) for m in upcoming] + [summary(m) for m in past]
        in_month = db.scalars(
            scoped_meetings(db, g.scope)
            .where(Meeting.starts_at >= start, Meeting.starts_at < end)
            .order_by(Meeting.starts_at)
        )
        weeks = month_weeks(first, [summary(m) for m in in_month])
    previous = (first - timedelta(days=1)).replace(day=1)
    return render_template(
        "console/meetings.html",
        rows=rows,
        weeks=weeks,
        month=first,
        previous=f"{previous:%Y-%m}",
        following=f"{following:%Y-%m}",
        today=today,
        may_convene=may_convene(g.scope),
    )


def _meeting_or_404(db, ref: str) -> Meeting:
    meeting = visible_meeting(db, g.scope, parse_ref(ref))
    if meeting is None:
        abort(404)
    return meeting


def answers_context(db, meeting: Meeting) -> dict:
    """The answers section: counts and the facilitators' tally text (in their languages) for everyone, the
    invitees for roles that read names (never the observer)."""
    people = invitees(db, meeting) if g.scope.reads_bodies else []
    languages = sorted({f.language for f in facilitators_of(db, meeting.district_id)} or {"fr"})
    return {
        "ref": meeting.id,
        "tallies": [(lang, tally_text(meeting, lang)) for lang in languages],
        "counts": answer_counts(meeting),
        "people": people,
        "full_phones": g.scope.role in PHONE_ROLES,
        "local_text": local_text,
        "poll": ANSWERS_POLL_SECONDS,
    }


def page_context(db, meeting: Meeting) -> dict:
    """Everything the meeting page shows, cut to what the role may read."""
    sendings = [
        {"id": b.id, "kind": b.kind, "at": local_text(b.created_at), "counts": delivery_counts(db, [b.id])}
        for b in broadcasts_of(db, meeting)
    ]
    ahead = meeting.starts_at > utcnow() and meeting.status == MeetingStatus.SCHEDULED
    return {
        "meeting": {
            **summary(meeting),
            "agenda": meeting.agenda if g.scope.reads_bodies else None,
            "date": f"{local(meeting.starts_at):%Y-%m-%d}",
            "time": f"{local(meeting.starts_at):%H:%M}",
        },
        "answers": answers_context(db, meeting),
        "sendings": sendings,
        "reminders": [
            {"kind": r.kind, "due": local_text(r.due_at), "sent": local_text(r.sent_at), "cancelled": r.cancelled}
            for r in reminders_of(db, meeting)
        ],
        "may_change": ahead and may_convene(g.scope),
        "poll": DELIVERY_POLL_SECONDS,
    }


def render_meeting(ref: str, error: str | None = None, status: int = 200, form: dict | None = None):
    """The meeting page (a refusal shown on it with its status), or 404."""
    with runtime().db.sessions() as db:
        meeting = _meeting_or_404(db, ref)
        context = page_context(db, meeting)
    return render_template("console/meeting.html", **context, error=error, form=form or {}), status


@console.get("/meetings/<ref>")
@login_required
def meeting_page(ref: str):
    """One meeting of the user's scope; 404 for any other."""
    return render_meeting(ref)


@console.get("/meetings/<ref>/answers")
@login_required
def meeting_answers(ref: str):
    """The answers section alone: htmx swaps it in every few seconds."""
    with runtime().db.sessions() as db:
        meeting = _meeting_or_404(db, ref)
        context = answers_context(db, meeting)
    return render_template("console/meeting_answers.html", answers=context)
