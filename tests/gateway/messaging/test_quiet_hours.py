"""Quiet hours under a controlled clock: the `hold_until` table, `queue_message` holding the non-urgent kinds queued at
22:00 local until 07:00 (the outbox's clock is patched), escalations and replies going at once, and an in-process
worker that sends an urgent escalation at night while the follow-up question waits for the morning."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bots.console import read_console_outbox
from gateway.alerts.followups import ask
from gateway.core.config import Settings, load_settings
from gateway.messaging import outbox
from gateway.messaging.outbox import queue_message
from gateway.messaging.quiet_hours import hold_until
from gateway.models import QUIET_KINDS, Contact, Followup, Message, MessageKind, Priority, utcnow
from tests.chat import Chat
from workers import outbound
from workers.outbound import send_message
from workers.queues import QUEUE_BULK, QUEUE_URGENT, queue, send_batch_job_id, send_job_id
from workers.worker import run_worker

LEADER = "+22371139685"  # Mamadou Dembélé, leader at Konna/Kotaka (MOPTI)
ALIOU = "+22365639508"  # Aliou Ongoïba, MOPTI duty officer, level 1
URGENT = "ALERTE 3 des hommes armés encerclent le marché de Kotaka"
D = date(2024, 3, 10)  # for the pure table; Africa/Bamako is UTC+0 all year
NIGHT_DAY = (utcnow() + timedelta(days=2)).date()  # "tonight" lies ahead of the real clock, so nothing is due early
NIGHT = datetime.combine(NIGHT_DAY, time(22, 0), tzinfo=UTC)
MORNING = datetime.combine(NIGHT_DAY + timedelta(days=1), time(7, 0), tzinfo=UTC)


def at(day: date, clock: str) -> datetime:
    """An aware UTC (= Bamako) datetime."""
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=UTC)


@pytest.fixture
def env(base_env) -> dict[str, str]:
    """The test gateway with the default quiet hours on."""
    return {**base_env, "QUIET_HOURS": "21:00-07:00"}


@pytest.fixture
def night(monkeypatch):
    """The outbox's clock stopped at 22:00 local."""
    monkeypatch.setattr(outbox, "utcnow", lambda: NIGHT)


def settings_with(base_env, **values) -> Settings:
    """Settings of the test gateway with some values changed (None removes a variable)."""
    env = {**base_env, **values}
    return load_settings(env={k: v for k, v in env.items() if v is not None})


D1 = D + timedelta(days=1)


@pytest.mark.parametrize(
    ("window", "now", "expected"),
    [
        ("21:00-07:00", at(D, "20:59"), None),
        ("21:00-07:00", at(D, "21:00"), at(D1, "07:00")),
        ("21:00-07:00", at(D, "23:59:59"), at(D1, "07:00")),
        ("21:00-07:00", at(D, "00:00"), at(D, "07:00")),
        ("21:00-07:00", at(D, "03:00"), at(D, "07:00")),
        ("21:00-07:00", at(D, "06:59:59"), at(D, "07:00")),
        ("21:00-07:00", at(D, "07:00"), None),
        ("21:00-07:00", at(D, "12:00"), None),
        ("12:00-14:00", at(D, "11:59"), None),
        ("12:00-14:00", at(D, "12:00"), at(D, "14:00")),
        ("12:00-14:00", at(D, "13:30"), at(D, "14:00")),
        ("12:00-14:00", at(D, "14:00"), None),
        ("12:00-14:00", at(D, "23:00"), None),
        ("", at(D, "22:00"), None),
        ("", at(D, "03:00"), None),
    ],
)
def test_hold_until(base_env, window, now, expected):
    assert hold_until(settings_with(base_env, QUIET_HOURS=window), now) == expected


def test_the_default_window_is_21_to_7_and_empty_disables_it(base_env):
    assert settings_with(base_env, QUIET_HOURS=None).quiet_hours == (time(21, 0), time(7, 0))
    assert settings_with(base_env, QUIET_HOURS="").quiet_hours is None


def test_the_window_is_in_the_gateway_time_zone(base_env):
    lagos = settings_with(base_env, QUIET_HOURS="21:00-07:00", GATEWAY_TIMEZONE="Africa/Lagos")  # UTC+1
    assert hold_until(lagos, at(D, "20:30")) == at(D1, "06:00"), "21:30 in Lagos: held until 07:00 there"
    assert hold_until(lagos, at(D, "19:59")) is None


def queue_to(runtime, kind: str, priority: str = Priority.BULK, phone: str = LEADER) -> Message:
    """Queue one message of `kind` to a directory contact, committed."""
    with runtime.db.transaction() as session:
        contact = session.scalars(select(Contact).where(Contact.phone == phone)).one()
        message = queue_message(session, runtime, body=f"un message {kind}", contact=contact, priority=priority,
                                kind=kind)  # fmt: skip
    return message


def row(runtime, message_id: int) -> Message:
    """An outbox row as stored."""
    with runtime.db.transaction() as session:
        return session.get(Message, message_id)


def test_the_non_urgent_kinds_are_the_documented_ones():
    named = {"meeting_notice", "meeting_reminder", "followup", "digest", "triage_reminder"}
    assert named <= QUIET_KINDS and not {"escalation", "reply", "alert_confirmation"} & QUIET_KINDS


@pytest.mark.parametrize("kind", sorted(QUIET_KINDS))
def test_a_non_urgent_message_queued_at_22h_waits_for_7h(runtime, directory, redis_client, night, kind):
    message = queue_to(runtime, kind)
    assert row(runtime, message.id).next_attempt_at == MORNING
    bulk, job_id = queue(redis_client, QUEUE_BULK), send_job_id(message.id, 0)
    assert job_id not in bulk.job_ids, "not queued now"
    assert job_id in bulk.scheduled_job_registry.get_job_ids(), "but scheduled for the morning"


def test_a_broadcast_at_22h_is_scheduled_for_7h_in_batch_jobs_not_one_job_per_leader(
    runtime, directory, redis_client, night
):
    with runtime.db.transaction() as session:
        leaders = session.scalars(select(Contact).where(Contact.role == "leader").order_by(Contact.id)).all()[:45]
        items = [outbox.BroadcastItem(contact, "Avis de réunion") for contact in leaders]
        outbox.queue_broadcast(session, runtime, items, priority=Priority.BULK, kind=MessageKind.MEETING_NOTICE)
    with runtime.db.transaction() as session:
        ids = session.scalars(select(Message.id).order_by(Message.id)).all()
        assert {m.next_attempt_at for m in session.scalars(select(Message))} == {MORNING}
    bulk = queue(redis_client, QUEUE_BULK)
    assert bulk.job_ids == [], "nothing goes at night"
    assert len(ids) == 45 and bulk.scheduled_job_registry.get_job_ids() == [send_batch_job_id(ids)]


@pytest.mark.parametrize(("kind", "priority"), [("escalation", "urgent"), ("reply", "urgent"), ("escalation", "bulk")])
def test_escalations_and_replies_go_at_once_at_night(runtime, directory, redis_client, night, kind, priority):
    message = queue_to(runtime, kind, priority)
    assert row(runtime, message.id).next_attempt_at is None
    assert (
        send_job_id(message.id, 0) in queue(redis_client, QUEUE_URGENT if priority == "urgent" else QUEUE_BULK).job_ids
    )


def test_outside_the_window_nothing_is_held(runtime, directory, redis_client, monkeypatch):
    monkeypatch.setattr(outbox, "utcnow", lambda: MORNING)
    message = queue_to(runtime, MessageKind.MEETING_NOTICE)
    assert row(runtime, message.id).next_attempt_at is None
    assert send_job_id(message.id, 0) in queue(redis_client, QUEUE_BULK).job_ids


def console_texts(redis_client, phone: str) -> list[str]:
    """What the console channel delivered to one phone."""
    return [m["text"] for m in read_console_outbox(redis_client) if m["address"] == phone]


def test_at_night_the_escalation_goes_out_and_the_followup_waits_for_the_morning(
    runtime, directory, redis_client, night, monkeypatch
):
    reporter = Chat(runtime, LEADER)
    reporter.send(URGENT)
    with runtime.db.transaction() as session:
        followup = session.scalars(select(Followup)).one()
        fid, seq, due = followup.id, followup.seq, followup.next_ask_at
        page = session.scalars(select(Message).where(Message.kind == "escalation", Message.address == ALIOU)).one()
        confirmation = session.scalars(
            select(Message).where(Message.address == LEADER, Message.direction == "out")
        ).one()
    assert page.next_attempt_at is None and confirmation.next_attempt_at is None, "urgent and replies never wait"
    assert ask(runtime, fid, seq, now=due) == "asked"  # the question falls due at 22:00
    with runtime.db.transaction() as session:
        question = session.scalars(select(Message).where(Message.kind == "followup")).one()
    assert question.next_attempt_at == MORNING
    run_worker(runtime, burst=True)
    assert row(runtime, page.id).status == "sent" and console_texts(redis_client, ALIOU)[0].startswith("URGENT #1 ")
    assert row(runtime, confirmation.id).status == "sent"
    assert row(runtime, question.id).status == "queued"
    assert not [t for t in console_texts(redis_client, LEADER) if "la situation?" in t], "held during the night"
    # The morning: the scheduled send job runs; at 06:59 it is still too early, at 07:00 it goes.
    monkeypatch.setattr(outbound, "utcnow", lambda: MORNING - timedelta(minutes=1))
    assert send_message(question.id) == "skipped"
    monkeypatch.setattr(outbound, "utcnow", lambda: MORNING)
    assert send_message(question.id) == "sent"
    assert row(runtime, question.id).status == "sent"
    assert console_texts(redis_client, LEADER).count(question.body) == 1
    assert send_message(question.id) == "skipped", "sent once"
