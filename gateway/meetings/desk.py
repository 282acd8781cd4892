"""Meetings for staff (console and API): the scope, the checks of a form or a JSON body, the notice's preview, and
create / reschedule / cancel / last call, each audited in the caller's transaction. The same rules as the CLI and
`REUNION` by SMS (gateway.meetings.service does the work); a refusal carries a code each front end words itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session

from gateway.core import audit
from gateway.core.runtime import Runtime
from gateway.meetings.dates import BadDate, parse_local
from gateway.meetings.service import (
    MeetingError,
    cancel_meeting,
    create_meeting,
    invitees_of,
    reschedule_meeting,
    send_to_invitees,
)
from gateway.meetings.texts import notice_text
from gateway.messaging.estimate import SendEstimate, estimate
from gateway.messaging.routing import NO_SMS_CHANNEL, route_for, sms_barred
from gateway.messaging.sms_text import count_segments, to_gsm7
from gateway.models import BroadcastKind, District, Meeting, MeetingStatus, MessageKind, utcnow
from gateway.staff.roles import CONVENER_ROLES, StaffRole
from gateway.staff.scope import Scope, region_district_ids

MAX_PLACE, MAX_AGENDA = 200, 1000

# code → (HTTP status, the API's English message); the console has a text per code (meetings.refusal.<code>).
REFUSALS = {
    "forbidden": (403, "your role may not convene, move or cancel meetings"),
    "unknown_district": (422, "unknown district"),
    "district_out_of_scope": (422, "this district is not in your scope"),
    "bad_date": (422, 'at: expected "YYYY-MM-DD HH:MM" in local time, e.g. "2026-12-05 10:00"'),
    "past": (422, "the date is in the past"),
    "place": (422, "a place is required"),
    "place_too_long": (422, f"the place is longer than {MAX_PLACE} characters"),
    "agenda_too_long": (422, f"the agenda is longer than {MAX_AGENDA} characters"),
    "already_cancelled": (409, "the meeting is cancelled"),
    "held": (409, "the meeting has already taken place"),
    "nobody": (422, "nobody left to call: every reachable invitee has answered"),
}


class MeetingRefusal(ValueError):
    """A staff request refused before anything was written: `code` (REFUSALS), `http_status`, `message`."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.http_status, self.message = REFUSALS[code]
        super().__init__(self.message)


def scoped_meetings(session: Session, scope: Scope, query: Select | None = None) -> Select:
    """`query` (default: every meeting) limited to the scope's districts (admin and observer: all)."""
    query = query if query is not None else select(Meeting)
    if scope.role in (StaffRole.ADMIN, StaffRole.OBSERVER):
        return query
    if scope.role == StaffRole.COORDINATOR:
        ids = region_district_ids(session, scope.region)
        return query.where(Meeting.district_id.in_(ids)) if ids else query.where(false())
    if scope.district_id is None:
        return query.where(false())
    return query.where(Meeting.district_id == scope.district_id)


def visible_meeting(session: Session, scope: Scope, ref: int | None) -> Meeting | None:
    """The meeting if it exists and the scope may see it; None otherwise (404 either way)."""
    if ref is None:
        return None
    return session.scalar(scoped_meetings(session, scope, select(Meeting).where(Meeting.id == ref)))


def parse_ref(ref: str) -> int | None:
    """The number of `12` or `#12`; None for anything else (answered like an unknown meeting)."""
    digits = ref.removeprefix("#")
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 9 else None


def may_convene(scope: Scope) -> bool:
    """Admin, coordinator and facilitator create, move and cancel meetings; officer and observer do not."""
    return scope.role in CONVENER_ROLES


def convenable_districts(session: Session, scope: Scope) -> list[District]:
    """The districts in which this user may call a meeting, by name."""
    if not may_convene(scope):
        return []
    query = select(District).order_by(District.name)
    if scope.role == StaffRole.COORDINATOR:
        query = query.where(District.id.in_(region_district_ids(session, scope.region)))
    elif scope.role == StaffRole.FACILITATOR:
        query = query.where(District.id == (scope.district_id or -1))
    return list(session.scalars(query))


@dataclass(frozen=True)
class MeetingRequest:
    """A checked request for a meeting: the district, the time (UTC), the place as stored, the agenda."""

    district: District
    starts_at: datetime
    place: str
    agenda: str | None


def require_convener(scope: Scope) -> None:
    """MeetingRefusal("forbidden") unless the role convenes meetings."""
    if not may_convene(scope):
        raise MeetingRefusal("forbidden")


def check_time(at_text: object, zone: str) -> datetime:
    """`YYYY-MM-DD HH:MM` local → UTC, still ahead; MeetingRefusal otherwise."""
    if not isinstance(at_text, str):
        raise MeetingRefusal("bad_date")
    try:
        starts_at = parse_local(at_text, zone)
    except (BadDate, ValueError, OverflowError):
        raise MeetingRefusal("bad_date") from None
    if starts_at <= utcnow():
        raise MeetingRefusal("past")
    return starts_at


def check_request(
    session: Session, runtime: Runtime, scope: Scope, district: object, at: object, place: object, agenda: object
) -> MeetingRequest:
    """The request checked in the order a person fixes a form: role, district, date, place, agenda."""
    require_convener(scope)
    code = district.strip().upper() if isinstance(district, str) else ""
    found = session.scalar(select(District).where(District.code == code)) if code else None
    if found is None:
        raise MeetingRefusal("unknown_district")
    if found.id not in {d.id for d in convenable_districts(session, scope)}:
        raise MeetingRefusal("district_out_of_scope")
    starts_at = check_time(at, runtime.settings.timezone)
    where = " ".join(place.split()) if isinstance(place, str) else ""
    if not where:
        raise MeetingRefusal("place")
    if len(where) > MAX_PLACE:
        raise MeetingRefusal("place_too_long")
    if agenda is not None and not isinstance(agenda, str):
        raise MeetingRefusal("agenda_too_long")
    agenda = (agenda or "").strip() or None
    if agenda and len(agenda) > MAX_AGENDA:
        raise MeetingRefusal("agenda_too_long")
    return MeetingRequest(found, starts_at, where, agenda)


@dataclass(frozen=True)
class LanguageNotice:
    """The notice in one language: its text (as SMS: GSM-7), SMS segments each, and how many invitees read it."""

    language: str
    text: str
    segments: int
    invitees: int


@dataclass(frozen=True)
class NoticePlan:
    """What a sending would be, before it is made: the texts per language and the estimate of it all."""

    invitees: int
    notices: list[LanguageNotice]
    estimate: SendEstimate


def _plan(runtime: Runtime, meeting, contacts, key: str) -> NoticePlan:
    texts: dict[str, str] = {}
    readers: dict[str, int] = {}
    pairs = []
    for contact in contacts:
        if contact.language not in texts:
            texts[contact.language] = notice_text(meeting, runtime, contact.language, key)
        readers[contact.language] = readers.get(contact.language, 0) + 1
        pairs.append((contact, texts[contact.language]))
    notices = [
        LanguageNotice(lang, to_gsm7(text), count_segments(to_gsm7(text)).segments, readers[lang])
        for lang, text in sorted(texts.items(), key=lambda item: (item[0] != "fr", item[0]))
    ]
    return NoticePlan(len(contacts), notices, estimate(runtime, pairs, MessageKind.MEETING_NOTICE))


def preview(session: Session, runtime: Runtime, request: MeetingRequest) -> NoticePlan:
    """The notice `create` would send, with the outbox's own routing and texts; nothing is written. The reference
    in the text is the next one, as it will be unless another meeting is created in between."""
    next_ref = (session.scalar(select(func.max(Meeting.id))) or 0) + 1
    stand_in = SimpleNamespace(id=next_ref, district=request.district, starts_at=request.starts_at, place=request.place)
    return _plan(runtime, stand_in, invitees_of(session, request.district, []), "meeting.notice")


def _utc(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def create(session: Session, runtime: Runtime, scope: Scope, request: MeetingRequest):
    """Create the meeting and queue its notice (the Broadcast records who asked); audited. The NoticeSummary."""
    summary = create_meeting(
        session,
        runtime,
        district=request.district,
        starts_at=request.starts_at,
        place=request.place,
        agenda=request.agenda,
        staff_user_id=scope.user_id,
    )
    detail = f"{request.district.code} {_utc(request.starts_at)}; {summary.invitees} invitee(s), "
    detail += f"{summary.segments_total} SMS segment(s)"
    audit.record(session, scope.email, "meeting_create", f"meeting #{summary.meeting_id}", detail)
    return summary


def _writable(scope: Scope, meeting: Meeting) -> None:
    require_convener(scope)
    if meeting.status == MeetingStatus.CANCELLED:
        raise MeetingRefusal("already_cancelled")


def reschedule(session: Session, runtime: Runtime, scope: Scope, meeting: Meeting, at: object) -> int:
    """Move a meeting (answers reset, those who had not declined asked again); audited. How many were asked."""
    _writable(scope, meeting)
    starts_at = check_time(at, runtime.settings.timezone)
    try:
        told = reschedule_meeting(session, runtime, meeting, starts_at, staff_user_id=scope.user_id)
    except MeetingError as exc:
        raise MeetingRefusal(str(exc) if str(exc) in REFUSALS else "past") from None
    detail = f"to {_utc(starts_at)}; {told} asked again"
    audit.record(session, scope.email, "meeting_reschedule", f"meeting #{meeting.id}", detail)
    return told


def cancel(session: Session, runtime: Runtime, scope: Scope, meeting: Meeting) -> int:
    """Cancel a meeting still ahead (those who had not declined are told); audited. How many were told."""
    _writable(scope, meeting)
    if meeting.starts_at <= utcnow():
        raise MeetingRefusal("held")
    try:
        told = cancel_meeting(session, runtime, meeting, staff_user_id=scope.user_id)
    except MeetingError as exc:
        raise MeetingRefusal("held" if str(exc) == "past" else "already_cancelled") from None
    audit.record(session, scope.email, "meeting_cancel", f"meeting #{meeting.id}", f"{told} told")
    return told


def last_call_targets(runtime: Runtime, meeting: Meeting) -> list:
    """Invitees who have not answered and can still be reached (active, not opted out, a channel that carries)."""
    targets = []
    for invitation in meeting.invitations:
        contact = invitation.contact
        if invitation.answer is not None or not contact.active or contact.opted_out:
            continue
        channel, _ = route_for(contact, runtime.settings, runtime.channels)
        if channel == NO_SMS_CHANNEL or sms_barred(contact, channel):
            continue
        targets.append(contact)
    return targets


def last_call_plan(runtime: Runtime, scope: Scope, meeting: Meeting) -> NoticePlan:
    """The last call's recipients and cost, before it is sent (MeetingRefusal when it may not be sent)."""
    _writable(scope, meeting)
    if meeting.starts_at <= utcnow():
        raise MeetingRefusal("held")
    targets = last_call_targets(runtime, meeting)
    if not targets:
        raise MeetingRefusal("nobody")
    return _plan(runtime, meeting, targets, "meeting.last_call")


def send_last_call(session: Session, runtime: Runtime, scope: Scope, meeting: Meeting) -> tuple[int, int]:
    """Queue the catalogue's last call to the non-answerers as a LAST_CALL broadcast; audited. (recipients,
    SMS segments)."""
    plan = last_call_plan(runtime, scope, meeting)
    targets = last_call_targets(runtime, meeting)
    segments = send_to_invitees(
        session,
        runtime,
        meeting,
        targets,
        "meeting.last_call",
        with_buttons=True,
        kind=BroadcastKind.LAST_CALL,
        staff_user_id=scope.user_id,
    )
    detail = f"{plan.invitees} invitee(s) without an answer; {segments} SMS segment(s)"
    audit.record(session, scope.email, "meeting_last_call", f"meeting #{meeting.id}", detail)
    return len(targets), segments
