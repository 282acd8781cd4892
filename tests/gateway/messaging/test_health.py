"""Channel health from the gateway's own signals, driven through the real sender (`workers.outbound.send_message`)
against the fake Twilio and the fake Android phone on 127.0.0.1: a channel is unknown before any send, not reachable
after the provider failed, reachable again after a success; last in and out; the outbox backlog equals the queued
rows and the RQ jobs; the phone's pace budget goes down with each part sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from gateway.messaging.health import gather
from gateway.messaging.outbox import queue_message
from gateway.models import Message, MessageStatus, Priority, utcnow
from tests.chat import Chat
from tests.fakes.twilio_api import server_error, twilio_error
from workers.outbound import send_message
from workers.queues import QUEUE_BULK, QUEUE_URGENT, queue

LEADER = "+22371139685"  # Mamadou Dembélé, leader of MOPTI
OTHER = "+22365598143"


@pytest.fixture
def env(base_env, fake_twilio, fake_phone) -> dict[str, str]:
    """Twilio and the Android phone (which carries SMS), both fakes; the console channel as in every test."""
    return {**base_env, **fake_twilio.env(), **fake_phone.env()}


def queue_to(runtime, channel: str, body: str = "Reunion demain a 10h", priority: str = Priority.URGENT) -> int:
    """One outbox row on a channel to the leader's number; its id."""
    with runtime.db.transaction() as db:
        return queue_message(db, runtime, body=body, channel=channel, address=LEADER, priority=priority).id


def make_due(runtime, message_id: int) -> None:
    """Bring a retried row's next attempt to now."""
    with runtime.db.transaction() as db:
        past = utcnow() - timedelta(seconds=5)
        db.execute(update(Message).where(Message.id == message_id).values(next_attempt_at=past))


def channel(runtime, code: str):
    """The panel's line of one channel."""
    return next(c for c in gather(runtime).channels if c.code == code)


def test_configured_channels_are_listed_and_unknown_before_any_send(runtime):
    health = gather(runtime)
    assert [c.code for c in health.channels] == ["twilio", "android", "console"]
    assert {c.state for c in health.channels} == {"unknown"}
    assert all(c.last_in_at is None and c.last_out_at is None for c in health.channels)


def test_twilio_is_not_reachable_after_a_provider_failure_and_reachable_after_a_success(runtime, fake_twilio):
    fake_twilio.script(server_error())
    message_id = queue_to(runtime, "twilio")
    assert send_message(message_id) == "retry"
    failing = channel(runtime, "twilio")
    assert (failing.state, failing.failure_code, failing.failures_in_a_row) == ("unreachable", "20500", 1)
    assert failing.last_out_at is None and failing.queued == 1
    make_due(runtime, message_id)
    assert send_message(message_id) == "sent"
    healthy = channel(runtime, "twilio")
    assert (healthy.state, healthy.failures_in_a_row, healthy.queued) == ("reachable", 0, 0)
    with runtime.db.sessions() as db:
        assert healthy.last_out_at == db.get(Message, message_id).sent_at


def test_the_phone_switched_off_is_not_reachable_then_reachable_when_back(runtime, fake_phone):
    port = int(fake_phone.url.rsplit(":", 1)[1])
    first = queue_to(runtime, "android")
    assert send_message(first) == "sent"
    assert channel(runtime, "android").state == "reachable"
    fake_phone.stop()
    second = queue_to(runtime, "android")
    assert send_message(second) == "retry"
    down = channel(runtime, "android")
    assert down.state == "unreachable" and down.failure_code.startswith("network:") and down.failures_in_a_row == 1
    make_due(runtime, second)
    assert send_message(second) == "retry"
    assert channel(runtime, "android").failures_in_a_row == 2
    fake_phone.start(port)
    make_due(runtime, second)
    assert send_message(second) == "sent"
    assert channel(runtime, "android").state == "reachable"


def test_a_refusal_of_one_recipient_still_shows_the_provider_reachable(runtime, fake_twilio):
    fake_twilio.script(twilio_error(21211))  # an invalid number: Twilio answered
    assert send_message(queue_to(runtime, "twilio")) == "failed"
    assert channel(runtime, "twilio").state == "reachable"


def test_a_refusal_of_our_account_shows_the_channel_not_reachable(runtime, fake_twilio):
    fake_twilio.script(twilio_error(21606))  # our 'From' number cannot send SMS: nothing will get through
    assert send_message(queue_to(runtime, "twilio")) == "failed"
    line = channel(runtime, "twilio")
    assert (line.state, line.failure_code) == ("unreachable", "21606")


def test_the_pace_budget_goes_down_with_each_part_sent_on_the_phone(runtime, fake_phone):
    before = gather(runtime).pace
    assert (before.limit, before.used, before.remaining) == (runtime.settings.android_segments_per_minute, 0, 20)
    assert before.remaining_urgent == 20 + runtime.settings.android_urgent_headroom
    assert send_message(queue_to(runtime, "android", "court")) == "sent"
    long_text = "Reunion du comite de paix " * 8  # 208 GSM-7 characters: two parts
    assert send_message(queue_to(runtime, "android", long_text)) == "sent"
    after = gather(runtime).pace
    assert (after.used, after.remaining) == (3, before.remaining - 3)
    assert sum(parts for _, parts, _ in fake_phone.accepted) == 3  # what the phone was asked to send


def test_the_backlog_counts_the_queued_rows_and_the_jobs_of_each_queue(runtime):
    urgent = [queue_to(runtime, "twilio") for _ in range(3)]
    bulk = [queue_to(runtime, "android", priority=Priority.BULK) for _ in range(2)]
    queues = {q.name: q for q in gather(runtime).queues}
    with runtime.db.sessions() as db:
        rows = db.execute(select(Message.priority, Message.id).where(Message.status == MessageStatus.QUEUED)).all()
    assert queues["urgent"].queued_rows == sum(1 for p, _ in rows if p == "urgent") == len(urgent)
    assert queues["bulk"].queued_rows == sum(1 for p, _ in rows if p == "bulk") == len(bulk)
    assert queues["urgent"].jobs_waiting == queue(runtime.redis, QUEUE_URGENT).count == 3
    assert queues["bulk"].jobs_waiting == queue(runtime.redis, QUEUE_BULK).count == 2
    assert send_message(urgent[0]) == "sent"
    assert {q.name: q.queued_rows for q in gather(runtime).queues} == {"urgent": 2, "bulk": 2}
    assert channel(runtime, "twilio").queued == 2 and channel(runtime, "android").queued == 2


def test_last_message_in_and_out_per_channel(runtime, directory):
    Chat(runtime, OTHER, channel="twilio").send("bonjour")
    with runtime.db.sessions() as db:
        received = db.scalars(select(Message).where(Message.direction == "in")).one()
    twilio = channel(runtime, "twilio")
    assert twilio.last_in_at == received.created_at
    assert channel(runtime, "android").last_in_at is None
