"""Meeting reminders under a controlled clock: the rows planned at each offset before the meeting, fired by calling
`reminders.fire(…, now=due)` (never by waiting), once each; a cancelled or moved meeting's reminders never fire; a
Redis flush in the middle of the schedule is repaired by the timer sweep and a real worker fires the reminder once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rq.registry import ScheduledJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import select, update

from flows.catalogue import text as catalogue_text
from gateway.meetings import reminders
from gateway.meetings.dates import local_form
from gateway.meetings.service import cancel_meeting, create_meeting, reschedule_meeting
from gateway.messaging.sms_text import to_gsm7
from gateway.models import Contact, District, Invitation, Meeting, MeetingReminder, Message, utcnow
from tests.chat import Chat
from workers.queues import QUEUE_BULK, job_is_pending, queue
from workers.schedule import meeting_reminder_job_id as reminder_job_id
from workers.sweeper import sweep_timers
from workers.worker import run_worker

FACILITATOR = "+22391731768"  # Bakary Dembélé, KORO facilitator
YES, NO = "+22376972134", "+22371581530"  # two KORO leaders who answer
PLACE = "Mairie de Koro"


@pytest.fixture
def extra_env() -> dict[str, str]:
    """Settings a test adds (overridden by parametrization)."""
    return {}


@pytest.fixture
def env(base_env, extra_env) -> dict[str, str]:
    """The test gateway, plus the test's own settings."""
    return {**base_env, **extra_env}


def new_meeting(runtime, hours: float = 30) -> int:
    """A KORO meeting `hours` from now, created with its notices and reminders; its id."""
    with runtime.db.transaction() as session:
        koro = session.scalar(select(District).where(District.code == "KORO"))
        starts_at = utcnow() + timedelta(hours=hours)
        return create_meeting(session, runtime, district=koro, starts_at=starts_at, place=PLACE).meeting_id


def planned(runtime, ref: int = 1) -> list[MeetingReminder]:
    """The meeting's reminder rows, in due order (kind breaks ties: reminder before tally)."""
    with runtime.db.transaction() as session:
        rows = session.scalars(select(MeetingReminder).where(MeetingReminder.meeting_id == ref)).all()
    return sorted(rows, key=lambda r: (r.due_at, r.kind))


def starts(runtime, ref: int = 1):
    """When the meeting starts."""
    with runtime.db.transaction() as session:
        return session.get(Meeting, ref).starts_at


def offsets(runtime, ref: int = 1, active_only: bool = True) -> list[tuple[str, float]]:
    """(kind, hours before the meeting) of each reminder still to fire."""
    start = starts(runtime, ref)
    rows = [r for r in planned(runtime, ref) if not (active_only and r.cancelled)]
    return [(r.kind, (start - r.due_at).total_seconds() / 3600) for r in rows]


def reminder(runtime, kind: str, hours: float, ref: int = 1) -> MeetingReminder:
    """The active reminder of one kind at one offset."""
    start = starts(runtime, ref)
    [row] = [r for r in planned(runtime, ref) if r.kind == kind and r.due_at == start - timedelta(hours=hours)]
    return row


def sent_after(runtime, last_id: int) -> dict[str, list[str]]:
    """Address → bodies of the outbound messages queued after message `last_id`."""
    with runtime.db.transaction() as session:
        rows = session.scalars(
            select(Message).where(Message.direction == "out", Message.id > last_id).order_by(Message.id)
        ).all()
    out: dict[str, list[str]] = {}
    for row in rows:
        out.setdefault(row.address, []).append(row.body)
    return out


def last_message_id(runtime) -> int:
    """The newest message's id."""
    with runtime.db.transaction() as session:
        return session.scalar(select(Message.id).order_by(Message.id.desc()).limit(1)) or 0


def invitees(runtime, ref: int = 1) -> list[str]:
    """The phones of everyone invited."""
    with runtime.db.transaction() as session:
        return list(session.scalars(select(Contact.phone).join(Invitation).where(Invitation.meeting_id == ref)))


def sms(key: str, runtime, ref: int = 1) -> str:
    """A French meeting text for meeting `ref`, as an SMS carries it."""
    when = local_form(starts(runtime, ref), "Africa/Bamako", "fr")
    return to_gsm7(catalogue_text("fr", key, ref=ref, when=when, place=PLACE, district="Koro"))


def test_default_plan_for_a_meeting_30_hours_ahead(runtime, directory, redis_client):
    new_meeting(runtime, hours=30)
    assert offsets(runtime) == [("reminder", 24.0), ("tally", 24.0), ("reminder", 2.0)]
    scheduled = ScheduledJobRegistry(queue=queue(redis_client, QUEUE_BULK), serializer=JSONSerializer)
    for row in planned(runtime):
        assert job_is_pending(redis_client, reminder_job_id(row.id))
        assert scheduled.get_scheduled_time(reminder_job_id(row.id)) == row.due_at.replace(microsecond=0)
        assert row.sent_at is None and row.cancelled is False


def test_a_meeting_called_at_short_notice_keeps_only_the_reminders_ahead(runtime, directory):
    new_meeting(runtime, hours=5)
    assert offsets(runtime) == [("reminder", 2.0)]


@pytest.mark.parametrize("extra_env", [{"MEETING_REMINDER_HOURS": "48,6"}])
def test_configured_offsets_are_honoured(runtime, directory):
    assert runtime.settings.meeting_reminder_hours == (48.0, 6.0)
    new_meeting(runtime, hours=60)
    assert offsets(runtime) == [("reminder", 48.0), ("tally", 48.0), ("reminder", 6.0)]


def test_reminder_yes_gets_a_reminder_no_answer_a_last_call_no_nothing(runtime, directory):
    new_meeting(runtime)
    Chat(runtime, YES).send("OUI")
    Chat(runtime, NO).send("NON")
    row, before = reminder(runtime, "reminder", 24), last_message_id(runtime)
    everyone = invitees(runtime)
    assert reminders.fire(runtime, row.id, now=row.due_at) == f"reminded {len(everyone) - 1}"
    sent = sent_after(runtime, before)
    assert sent[YES] == [sms("meeting.reminder", runtime)]
    assert sent[YES][0].startswith("Rappel: réunion #1 ")
    assert NO not in sent
    last_call = sms("meeting.last_call", runtime)
    assert last_call.endswith("Venez-vous? Répondez OUI ou NON.")
    assert {p: b for p, b in sent.items() if p != YES} == {p: [last_call] for p in everyone if p not in (YES, NO)}
    with runtime.db.transaction() as session:
        assert session.get(MeetingReminder, row.id).sent_at == row.due_at


def test_a_leader_who_opted_out_after_saying_yes_gets_nothing(runtime, directory):
    new_meeting(runtime)
    chat = Chat(runtime, YES)
    chat.send("OUI")
    chat.send("STOP")
    row, before = reminder(runtime, "reminder", 2), last_message_id(runtime)
    reminders.fire(runtime, row.id, now=row.due_at)
    assert YES not in sent_after(runtime, before)


def test_the_tally_goes_to_the_district_facilitators(runtime, directory):
    new_meeting(runtime)
    Chat(runtime, YES).send("OUI")
    Chat(runtime, NO).send("NON")
    row, before = reminder(runtime, "tally", 24), last_message_id(runtime)
    assert reminders.fire(runtime, row.id, now=row.due_at) == "tally"
    pending = len(invitees(runtime)) - 2
    assert sent_after(runtime, before) == {FACILITATOR: [f"#1: 1 oui, 1 non, {pending} sans réponse"]}


def test_a_reminder_fires_once(runtime, directory):
    new_meeting(runtime)
    row = reminder(runtime, "reminder", 24)
    assert reminders.fire(runtime, row.id, now=row.due_at - timedelta(minutes=5)) == "skipped"  # not due yet
    assert reminders.fire(runtime, row.id, now=row.due_at).startswith("reminded ")
    before = last_message_id(runtime)
    assert reminders.fire(runtime, row.id, now=row.due_at + timedelta(minutes=1)) == "skipped"
    assert sent_after(runtime, before) == {}


def test_a_cancelled_meetings_reminders_are_skipped(runtime, directory):
    new_meeting(runtime)
    with runtime.db.transaction() as session:
        cancel_meeting(session, runtime, session.get(Meeting, 1))
    before = last_message_id(runtime)
    for row in planned(runtime):
        assert row.cancelled is True
        assert reminders.fire(runtime, row.id, now=row.due_at) == "skipped"
    assert sent_after(runtime, before) == {}
    with runtime.db.transaction() as session:
        assert reminders.overdue(session, utcnow() + timedelta(days=3)) == []  # nothing for the sweep either


def test_rescheduling_resets_answers_and_replans(runtime, directory):
    new_meeting(runtime, hours=30)
    Chat(runtime, YES).send("OUI")
    old = planned(runtime)
    with runtime.db.transaction() as session:
        reschedule_meeting(session, runtime, session.get(Meeting, 1), utcnow() + timedelta(hours=60))
    with runtime.db.transaction() as session:
        assert set(session.scalars(select(Invitation.answer))) == {None}
    assert offsets(runtime) == [("reminder", 24.0), ("tally", 24.0), ("reminder", 2.0)]
    new_ids = {r.id for r in planned(runtime) if not r.cancelled}
    assert not new_ids & {r.id for r in old}
    before = last_message_id(runtime)
    for row in old:
        assert reminders.fire(runtime, row.id, now=row.due_at) == "skipped"
    assert sent_after(runtime, before) == {}
    row = reminder(runtime, "reminder", 24)
    assert reminders.fire(runtime, row.id, now=row.due_at) == f"reminded {len(invitees(runtime))}"
    assert sent_after(runtime, before)[YES] == [sms("meeting.last_call", runtime)]  # the old yes no longer counts


def test_a_reminder_lost_with_redis_is_swept_and_fired_once(runtime, directory, redis_client):
    new_meeting(runtime, hours=30)
    Chat(runtime, YES).send("OUI")
    row = reminder(runtime, "reminder", 24)
    run_worker(runtime, burst=True)  # the notices go out; the reminders wait for their time
    with runtime.db.transaction() as session:  # six hours later, the machine restarts with an empty Redis
        session.execute(update(MeetingReminder).where(MeetingReminder.id == row.id).values(due_at=utcnow()))
    redis_client.flushdb()
    with runtime.db.transaction() as session:
        assert reminders.overdue(session, utcnow() + timedelta(seconds=5)) == [row.id]
    assert not job_is_pending(redis_client, reminder_job_id(row.id))
    assert sweep_timers(runtime, now=utcnow() + timedelta(seconds=5)) == 1
    assert reminder_job_id(row.id) in queue(redis_client, QUEUE_BULK).job_ids
    assert sweep_timers(runtime, now=utcnow() + timedelta(seconds=5)) == 0  # already queued: not twice
    before = last_message_id(runtime)
    run_worker(runtime, burst=True)
    sent = sent_after(runtime, before)
    assert sent[YES] == [sms("meeting.reminder", runtime)]
    assert sum(len(bodies) for bodies in sent.values()) == len(invitees(runtime))
    with runtime.db.transaction() as session:
        assert session.get(MeetingReminder, row.id).sent_at is not None
        statuses = set(session.scalars(select(Message.status).where(Message.id > before)))
    assert statuses == {"sent"}
    assert sweep_timers(runtime, now=utcnow() + timedelta(seconds=5)) == 0
    run_worker(runtime, burst=True)
    assert last_message_id(runtime) == before + len(invitees(runtime))
