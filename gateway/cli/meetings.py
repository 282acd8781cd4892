"""`gateway meetings create|list|show|cancel|reschedule`: the dialogue frameworks' meetings."""

from __future__ import annotations

import click
from sqlalchemy import select

from flows.keywords import parse_reference
from gateway.cli import cli_settings, open_database
from gateway.cli.output import FORMAT_OPTION, emit, emit_record, say
from gateway.core import audit
from gateway.core.privacy import mask_address
from gateway.core.runtime import build_runtime, set_process_runtime
from gateway.directory.phones import InvalidPhone, to_e164
from gateway.meetings.dates import BadDate, parse_local
from gateway.meetings.service import (
    MeetingError,
    cancel_meeting,
    create_meeting,
    reschedule_meeting,
)
from gateway.meetings.texts import tally, when_text
from gateway.messaging.estimate import sending_duration
from gateway.models import Contact, District, Meeting, MeetingStatus, utcnow

AT_HELP = 'Local time (GATEWAY_TIMEZONE, Africa/Bamako by default), as "YYYY-MM-DD HH:MM".'


@click.group()
def meetings() -> None:
    """Meetings of the district dialogue frameworks."""


def _release(runtime) -> None:
    set_process_runtime(None)
    runtime.close()


def _runtime():
    settings = cli_settings()
    open_database(settings)
    runtime = build_runtime(settings)
    set_process_runtime(runtime)
    return runtime


def _at(value: str, zone: str):
    try:
        return parse_local(value, zone)
    except BadDate:
        raise click.ClickException(f'--at {value!r}: expected "YYYY-MM-DD HH:MM", e.g. "2026-12-05 10:00"') from None


def _utc(moment) -> str:
    """A meeting's time in the audit log: UTC, to the minute (the log is read from several time zones)."""
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _meeting(session, ref: str) -> Meeting:
    number, rest = parse_reference(ref)
    meeting = session.get(Meeting, number) if number is not None and not rest else None
    if meeting is None:
        raise click.ClickException(f"no meeting {ref!r}")
    return meeting


def _district(session, code: str) -> District:
    district = session.scalar(select(District).where(District.code == code.strip().upper()))
    if district is None:
        known = ", ".join(session.scalars(select(District.code).order_by(District.code))) or "none imported yet"
        raise click.ClickException(f"unknown district {code!r} (known: {known})")
    return district


@meetings.command("create")
@click.option("--district", required=True, help="District code, e.g. KORO.")
@click.option("--at", "at", required=True, help=AT_HELP)
@click.option("--place", required=True)
@click.option("--agenda")
@click.option("--invite", multiple=True, help="Phone of an extra invitee (repeatable).")
def create_command(district: str, at: str, place: str, agenda: str | None, invite: tuple[str, ...]) -> None:
    """Create a meeting and send its notice to the district's leaders (and the extra invitees)."""
    runtime = _runtime()
    try:
        starts_at = _at(at, runtime.settings.timezone)
        with runtime.db.transaction() as session:
            target = _district(session, district)
            extra = []
            for phone in invite:
                try:
                    contact = session.scalar(select(Contact).where(Contact.phone == to_e164(phone)))
                except InvalidPhone:
                    raise click.ClickException(f"--invite {phone!r}: not a phone number") from None
                if contact is None:
                    raise click.ClickException(f"--invite {mask_address(phone)}: not in the directory")
                extra.append(contact)
            try:
                summary = create_meeting(
                    session, runtime, district=target, starts_at=starts_at, place=place, agenda=agenda, extra=extra
                )
            except MeetingError as exc:
                reason = "is in the past" if str(exc) == "past" else "needs a place"
                raise click.ClickException(f"the meeting {reason}") from None
            when = when_text(session.get(Meeting, summary.meeting_id), runtime, "fr")
            detail = f"{target.code} {_utc(starts_at)}; {summary.invitees} invitee(s), {len(extra)} added by phone"
            audit.record(session, audit.cli_actor(), "meeting_create", f"meeting #{summary.meeting_id}", detail)
    finally:
        _release(runtime)
    say(f"meeting #{summary.meeting_id} ({target.code}, {when}, {place})")
    click.echo(
        f"{summary.invitees} invitee(s); the notice costs {summary.segments_each} SMS segment(s) each, "
        f"{summary.segments_total} in all"
    )
    duration = sending_duration(runtime, summary.segments_total)
    if duration is not None:
        click.echo(f"sending takes about {max(round(duration.total_seconds() / 60), 1)} min at the SMS channel's pace")


@meetings.command("list")
@click.option("--district", help="District code.")
@click.option("--upcoming", is_flag=True, help="Only meetings still ahead and not cancelled.")
@FORMAT_OPTION
def list_command(district: str | None, upcoming: bool, fmt: str) -> None:
    """List meetings, soonest first."""
    runtime = _runtime()
    try:
        with runtime.db.transaction() as session:
            query = select(Meeting).order_by(Meeting.starts_at)
            if district:
                query = query.where(Meeting.district_id == _district(session, district).id)
            if upcoming:
                query = query.where(Meeting.starts_at > utcnow(), Meeting.status == MeetingStatus.SCHEDULED)
            rows = []
            for meeting in session.scalars(query):
                counts = tally(meeting).as_dict()
                rows.append(
                    {
                        "ref": meeting.id,
                        "district": meeting.district.code,
                        "when": when_text(meeting, runtime, "fr"),
                        "starts_at": meeting.starts_at.isoformat(),
                        "place": meeting.place,
                        "status": meeting.status,
                        "yes": counts["yes"],
                        "no": counts["no"],
                        "no_answer": counts["no_answer"],
                    }
                )
    finally:
        _release(runtime)
    emit(rows, ("ref", "district", "when", "place", "status", "yes", "no", "no_answer"), fmt, empty="no meetings")


@meetings.command("show")
@click.argument("ref")
@FORMAT_OPTION
def show_command(ref: str, fmt: str) -> None:
    """A meeting and its tally: counts of yes, no and no answer, and who."""
    runtime = _runtime()
    try:
        with runtime.db.transaction() as session:
            meeting = _meeting(session, ref)
            record = {
                "ref": meeting.id,
                "district": meeting.district.code,
                "starts_at": meeting.starts_at.isoformat(),
                "when": when_text(meeting, runtime, "fr"),
                "place": meeting.place,
                "agenda": meeting.agenda,
                "status": meeting.status,
                **{k: v for k, v in tally(meeting).as_dict().items() if k != "ref"},
            }
    finally:
        _release(runtime)
    if fmt == "json":
        emit_record(record, fmt)
        return
    click.echo(f"#{record['ref']}: {record['yes']} oui, {record['no']} non, {record['no_answer']} sans réponse")
    emit_record({k: v for k, v in record.items() if k not in ("coming", "not_coming", "not_answered")}, fmt)
    for label, key in (("oui", "coming"), ("non", "not_coming"), ("sans réponse", "not_answered")):
        say(f"{label}: {', '.join(record[key]) or '-'}")


@meetings.command("cancel")
@click.argument("ref")
def cancel_command(ref: str) -> None:
    """Cancel a meeting; everyone invited who had not declined is told."""
    runtime = _runtime()
    try:
        with runtime.db.transaction() as session:
            meeting = _meeting(session, ref)
            try:
                told = cancel_meeting(session, runtime, meeting)
            except MeetingError as exc:
                state = "has already taken place" if str(exc) == "past" else "is already cancelled"
                raise click.ClickException(f"meeting #{meeting.id} {state}") from None
            audit.record(session, audit.cli_actor(), "meeting_cancel", f"meeting #{meeting.id}", f"{told} told")
    finally:
        _release(runtime)
    click.echo(f"meeting #{meeting.id} cancelled; {told} people told")


@meetings.command("reschedule")
@click.argument("ref")
@click.option("--at", "at", required=True, help=AT_HELP)
def reschedule_command(ref: str, at: str) -> None:
    """Move a meeting; answers are reset and everyone who had not declined is asked again."""
    runtime = _runtime()
    try:
        starts_at = _at(at, runtime.settings.timezone)
        with runtime.db.transaction() as session:
            meeting = _meeting(session, ref)
            try:
                told = reschedule_meeting(session, runtime, meeting, starts_at)
            except MeetingError as exc:
                reason = "the new time is in the past" if str(exc) == "past" else "it is cancelled"
                raise click.ClickException(f"meeting #{meeting.id} cannot be moved: {reason}") from None
            when = when_text(meeting, runtime, "fr")
            detail = f"to {_utc(starts_at)}; {told} asked again"
            audit.record(session, audit.cli_actor(), "meeting_reschedule", f"meeting #{meeting.id}", detail)
    finally:
        _release(runtime)
    click.echo(f"meeting #{meeting.id} moved to {when}; {told} people asked again")
