"""Meeting commands by SMS or Telegram: a facilitator's `REUNION 05/12 10h Lieu`, `POINT 12` and
`ANNULER REUNION 12`; a leader's OUI/NON (with or without the meeting's number). `REUNION` by SMS first
shows what the notice will cost and waits for OUI (`flows.confirmations`); by Telegram it acts at once."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flows import confirmations
from flows.answers import yes_or_no
from flows.keywords import Match, normalise, parse_reference
from gateway.meetings.dates import BadDate, local_form, parse_clock, parse_day, to_utc
from gateway.meetings.service import (
    MeetingError,
    cancel_meeting,
    create_meeting,
    pending_invitations,
    preview_meeting,
    record_answer,
)
from gateway.meetings.texts import tally_text, when_text
from gateway.messaging.estimate import sending_duration
from gateway.models import Meeting, Role


def _facilitator(inbound) -> bool:
    if inbound.contact.role == Role.FACILITATOR and inbound.contact.district_id is not None:
        return True
    inbound.reply("help")  # only a district's facilitators call its meetings
    return False


def on_create(inbound, match: Match) -> None:
    """REUNION 05/12 10h Mairie de Koro: a meeting of the facilitator's district."""
    if not _facilitator(inbound):
        return
    parts = match.rest.split(None, 2)
    if len(parts) < 3:
        inbound.reply("meeting.bad_format")
        return
    zone = inbound.runtime.settings.timezone
    try:
        today = datetime.now(ZoneInfo(zone)).date()
        starts_at = to_utc(parse_day(parts[0], today), parse_clock(parts[1]), zone)
    except BadDate:
        inbound.reply("meeting.bad_format")
        return
    if confirmations.by_sms(inbound):  # a spoofed number must not text a whole district: its owner confirms
        _ask(inbound, starts_at, parts[2])
        return
    _create(inbound, starts_at, parts[2])


def _refused(inbound, exc: MeetingError) -> None:
    inbound.reply("meeting.past" if str(exc) == "past" else "meeting.bad_format")


def _ask(inbound, starts_at: datetime, place: str) -> None:
    """The meeting's cost (invitees, SMS segments), and the question whether to send it."""
    district = inbound.contact.district
    try:
        preview = preview_meeting(inbound.session, inbound.runtime, district=district, starts_at=starts_at, place=place)
    except MeetingError as exc:
        _refused(inbound, exc)
        return
    when = local_form(starts_at, inbound.runtime.settings.timezone, inbound.contact.language)
    data = {"starts_at": starts_at.isoformat(), "place": place}
    counts = dict(invitees=preview.invitees, segments=preview.segments_total)
    place = " ".join(place.split())
    confirmations.ask(
        inbound, "meeting_create", data, "meeting.confirm", district=district.name, when=when, place=place, **counts
    )


def confirmed_create(inbound, data: dict) -> None:
    """OUI to a `REUNION …` sent by SMS: the meeting is created and its notice sent."""
    if _facilitator(inbound):
        _create(inbound, datetime.fromisoformat(data["starts_at"]), data["place"])


def _create(inbound, starts_at: datetime, place: str) -> None:
    try:
        summary = create_meeting(
            inbound.session,
            inbound.runtime,
            district=inbound.contact.district,
            starts_at=starts_at,
            place=place,
            created_by=inbound.contact,
        )
    except MeetingError as exc:
        _refused(inbound, exc)
        return
    meeting = inbound.session.get(Meeting, summary.meeting_id)
    params = dict(
        ref=meeting.id,
        when=when_text(meeting, inbound.runtime, inbound.contact.language),
        place=meeting.place,
        invitees=summary.invitees,
        segments=summary.segments_total,
    )
    duration = sending_duration(inbound.runtime, summary.segments_total)
    if duration is not None:
        inbound.reply("meeting.created_paced", minutes=max(round(duration.total_seconds() / 60), 1), **params)
    else:
        inbound.reply("meeting.created", **params)


def _own_meeting(inbound, text: str) -> Meeting | None:
    ref, _ = parse_reference(text)
    if ref is None:
        inbound.reply("meeting.need_ref")
        return None
    meeting = inbound.session.get(Meeting, ref)
    if meeting is None:
        inbound.reply("meeting.unknown_ref", ref=ref)
        return None
    if meeting.district_id != inbound.contact.district_id:
        inbound.reply("meeting.not_yours", ref=meeting.id)
        return None
    return meeting


def on_tally(inbound, match: Match) -> None:
    """POINT 12: who is coming."""
    if not _facilitator(inbound):
        return
    meeting = _own_meeting(inbound, match.rest)
    if meeting is not None:
        inbound.reply_text(tally_text(meeting, inbound.contact.language))


def is_meeting_cancel(match: Match) -> bool:
    """`ANNULER REUNION 12` is a facilitator's cancellation, not leaving a conversation."""
    return normalise(match.rest).split(" ", 1)[0] in ("reunion", "meeting")


def on_cancel_meeting(inbound, match: Match) -> None:
    """ANNULER REUNION 12: cancelled; everyone who had not declined is told."""
    if not _facilitator(inbound):
        return
    meeting = _own_meeting(inbound, match.rest.split(None, 1)[1] if " " in match.rest else "")
    if meeting is None:
        return
    try:
        told = cancel_meeting(inbound.session, inbound.runtime, meeting)
    except MeetingError as exc:
        inbound.reply("meeting.already_held" if str(exc) == "past" else "meeting.already_cancelled", ref=meeting.id)
        return
    inbound.reply("meeting.cancel_done", ref=meeting.id, count=told)


def try_answer(inbound) -> bool:
    """OUI / NON / 1 / 2 (with or without the meeting's number) from someone with a pending invitation."""
    yes = yes_or_no(inbound.text)
    if yes is None:
        return False
    invitations = pending_invitations(inbound.session, inbound.contact)
    if not invitations:
        return False
    rest = inbound.text.split(None, 1)[1] if " " in inbound.text.strip() else ""
    ref, _ = parse_reference(rest)
    if ref is not None:
        chosen = [i for i in invitations if i.meeting_id == ref]
        if not chosen:
            inbound.reply("meeting.unknown_ref", ref=ref)
            return True
    elif len(invitations) > 1:
        inbound.reply("meeting.which", refs=" ".join(f"#{i.meeting_id}" for i in invitations))
        return True
    else:
        chosen = invitations
    invitation = chosen[0]
    record_answer(invitation, yes)
    meeting = invitation.meeting
    when = when_text(meeting, inbound.runtime, inbound.contact.language)
    inbound.reply("meeting.answer_yes" if yes else "meeting.answer_no", ref=meeting.id, when=when)
    return True
